"""Attachments: photos and documents, checked, cleaned and stored once per content."""

from backend.files import labels  # noqa: F401  (importing the domain registers its labels)
