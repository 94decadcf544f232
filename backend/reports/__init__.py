"""一键报贫: farmers' self-reports of risk, verified and decided within deadlines."""

from backend.reports import labels  # noqa: F401  (importing the domain registers its labels)
