"""The administrative tree, keyed by statistical division codes."""

from backend.areas import labels  # noqa: F401  (importing the domain registers its labels)
