"""Bringing households in from a county's sheets and taking records out as CSV or XLSX."""
