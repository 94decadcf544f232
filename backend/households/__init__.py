"""Households: the registry, members, incomes, plans and the monitoring workflow."""

from backend.households import labels  # noqa: F401  (importing the domain registers its labels)
