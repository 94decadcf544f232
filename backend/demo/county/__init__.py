"""A county at scale for benchmarks: 会宁县's real townships and villages filled with made-up
households, members, incomes, a year of visits and ledger entries, self-reports and problem
lists, written in bulk straight into the tables of the real migrations.

`shouwang seed-bench --households 100000` builds it. Rows are generated village by village
and written in chunks (executemany on SQLite, COPY on PostgreSQL), so a million households
stream through without being held in memory. The same seed gives the same county (names,
ID numbers, ids, amounts; dates counted back from now); only the encrypted ID numbers
differ, because encryption draws a fresh IV each time. ID numbers are encrypted and hashed with the app's own
functions, so the app reads them as it reads its own.
"""

from backend.demo.county.core import County, Plan, build, households_in
from backend.demo.county.visits import visit_payload_hash
from backend.demo.county.words import VERSION
from backend.demo.county.writer import Summary

__all__ = ["VERSION", "County", "Plan", "Summary", "build", "households_in", "visit_payload_hash"]
