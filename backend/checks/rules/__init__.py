"""The checks, grouped by what they read: incomes, monitoring, visits, villages, records."""
