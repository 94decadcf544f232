"""The fast subset of `make test-reliability`, inside `make test`: a real server on SQLite,
a few hundred writes with replays and conflicts from 10 clients, kill -9 mid-batch, the
worker killed mid-delivery and the upload directory full; every acknowledged write stored
once. The full run (10,000 + 10,000 writes, 50 clients, PostgreSQL with four workers and the
database gone for 10 s) is `make test-reliability`."""

import pytest

from tests.reliability.run import run


@pytest.mark.cluster
def test_writes_survive_kill_and_full_disk_on_sqlite() -> None:
    outcome = run("sqlite", reports=150, visits=300, clients=10)
    print(outcome.report())
    t = outcome.tally
    assert outcome.ok, outcome.report()
    assert outcome.lost == 0
    assert outcome.stored == len(t.acknowledged) == sum(t.sent.values()) == 450
    assert t.replays == t.replays_same > 0
    assert t.conflicts == t.conflicts_409 > 0
    assert len(outcome.faults) == 3
