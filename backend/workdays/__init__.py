"""The working-day calendar: national holidays, 调休 make-up days, county corrections."""

from backend.workdays import labels  # noqa: F401  (importing the domain registers its labels)
