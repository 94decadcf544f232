"""Loading the whole demo: the households' step first, then each domain's step on what the
earlier ones made."""

from sqlmodel import Session

from backend.core.usecase import use_case
from backend.demo import findings, households
from backend.demo.context import DEMO_PASSWORD, DemoContext
from backend.rectification import demo as rectification_demo
from backend.reports import demo as reports_demo
from backend.visits import demo as visits_demo
from backend.warnings import demo as warnings_demo

# The order is part of the demo: a step builds on what the earlier ones made, and they draw
# from one random generator in turn, so the same seed gives the same demo.
STEPS = [
    households.seed,
    reports_demo.seed,
    visits_demo.seed,
    rectification_demo.seed,
    findings.seed,
    warnings_demo.seed,
]


@use_case
def seed_demo(*, session: Session) -> str:
    """Load the demo into an empty database. Returns a one-line summary."""
    ctx = DemoContext()
    for step in STEPS:
        step(session=session, ctx=ctx)
    count = sum(len(v) for v in ctx.households.values())
    return f"演示数据已载入:{len(ctx.users)} 个账号,{count} 户(6 个村);演示密码 {DEMO_PASSWORD}"
