"""整改销号: problem lists, rectification steps, evidence, review and closure."""

from backend.rectification import labels  # noqa: F401  (importing the domain registers its labels)
