"""The desk's statistics: an area's figures and each child's, every one equal to its list."""

from backend.stats import labels  # noqa: F401  (importing the domain registers its labels)
