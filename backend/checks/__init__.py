"""排查: rules that find risks and data faults; findings → reports or problems."""

from backend.checks import labels  # noqa: F401  (importing the domain registers its labels)
