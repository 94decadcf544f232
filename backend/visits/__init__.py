"""Visits (走访) and the monthly ledger, recorded on the phone and synced."""

from backend.visits import labels  # noqa: F401  (importing the domain registers its labels)
