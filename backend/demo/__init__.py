"""The demo: three real counties' areas, six villages of households, one account per role,
and each domain's records on top (`backend.demo.seed.seed_demo`).

Names and ID numbers are made up (ID numbers carry valid check digits and the county's
region code, so they pass validation, but belong to nobody). Deterministic: the same seed
gives the same demo.
"""

from backend.demo.context import AREAS_CSV, make_id_number

# For the tools that load the area tree or make ID numbers (tests, benchmarks).
__all__ = ["AREAS_CSV", "make_id_number"]
