"""Every check, by code, in the order the catalogue shows them."""

from backend.checks.base import Check
from backend.checks.rules import income, monitoring, records, villages, visits

CHECKS: dict[str, Check] = {
    c.code: c
    for c in (*income.CHECKS, *monitoring.CHECKS, *visits.CHECKS, *villages.CHECKS, *records.CHECKS)
}
