"""Accounts: users, their role and area scope, logging in."""

from backend.accounts import labels  # noqa: F401  (importing the domain registers its labels)
