"""The rectification fixtures, for the problem events."""

from tests.rectification.conftest import people  # noqa: F401  (a fixture used here)
