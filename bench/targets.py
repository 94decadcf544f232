"""Issue 11's table: each figure's target, and what the issue measured before this bench
existed ("the issue's figure"), shown beside this run's for orientation only."""

READS = {
    "coverage-county": "p95 ≤ 300 ms",
    "coverage-township": "p95 ≤ 300 ms",
    "boards": "p95 ≤ 300 ms",
    "overdue": "p95 ≤ 300 ms",
    "my-households": "p95 ≤ 300 ms, ≤ 100 KB gzipped",
    "household-list": "p95 ≤ 300 ms",
    "name-search": "p95 ≤ 300 ms",
    "card": "p95 ≤ 300 ms (kept)",
    "id-search": "p95 ≤ 300 ms (kept)",
    "numbers": "p95 ≤ 300 ms (kept)",
}

ISSUE = {
    "post-self-report-10": "25–45 req/s, p99 0.5–1.2 s; 0.03×",
    "post-visit-10": "34–53 req/s, p99 0.35–0.6 s; 0.03–0.06×",
    "limit-10": "1,400 req/s, p99 24 ms",
    "batch-1": "250 visits/s",
    "batch-4": "PostgreSQL: 8 of 12 batches answered 500",
    "coverage-county": "p95 4.8–5.8 s",
    "coverage-township": "p95 1.6–1.9 s",
    "boards": "p95 2.6 s",
    "overdue": "2.5 s",
    "my-households": "p95 3.7 s, 369 KB",
    "household-list": "p95 0.58 s",
    "name-search": "0.56 s",
    "card": "0.30 s",
    "id-search": "0.30 s",
    "numbers": "0.16 s",
    "compression": "not compressed (/report 33 KB as served)",
    "frontend-bytes": "≈ 77 KB gzipped",
    "lighthouse-report": "1.00",
    "lighthouse-field": "0.99–1.00",
}
