"""Department warnings (部门预警): other departments push warnings about people; matched to a
household by ID number, triaged by the township into a report or dismissed with a reason."""

from backend.warnings import labels  # noqa: F401  (importing the domain registers its labels)
