"""Demo visits: last months' visits and ledgers, a few this month, and the two faults the
inspections found (notes pasted across households, income copied from last year)."""

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from backend.core import clock
from backend.demo.context import VILLAGE_HELPER, DemoContext
from backend.households.models import Household
from backend.visits import recording
from backend.visits.schemas import VisitCreate

PASTED = "该户两不愁三保障均有保障,家庭收入稳定,无返贫风险,群众认可度高。"


def _at(days_ago: int, hour: int = 10) -> datetime:
    day = clock.today() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.CHINA)


def _notes(ctx: DemoContext, household: Household) -> str:
    rng = ctx.rng
    who = rng.choice(["户主", "户主妻子", "家中老人", "在家的儿子"])
    what = rng.choice(
        [
            "本月在县城务工{n}天",
            "种了{n}亩玉米,长势一般",
            "养了{n}头猪,准备年底出栏",
            "慢病卡已办,本月买药花了{n}0元",
            "孩子住校,每月生活费约{n}00元",
        ]
    ).format(n=rng.randint(2, 9))
    return f"{household.address}:与{who}交谈,{what}。"


def _visit(
    session: Session, ctx: DemoContext, household: Household, username: str, at: datetime, **kw
) -> None:  # type: ignore[no-untyped-def]
    rng = ctx.rng
    data = VisitCreate(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        household_id=household.id,
        kind=kw.pop("kind", "home"),
        visited_at=min(at, clock.now() - timedelta(minutes=1)),
        checklist={"food": {"ok": True}, "housing": {"ok": True}, "medical": {"ok": True}},
        ledger=kw.pop(
            "ledger",
            {
                "wage": rng.randint(8, 30) * 100,
                "business": rng.randint(0, 8) * 100,
                "transfer": rng.randint(1, 4) * 100,
            },
        ),
        help_given=kw.pop("help_given", "宣讲一键报贫和医保政策"),
        notes=kw.pop(
            "notes", f"与{rng.choice(['户主', '户主妻子', '老人'])}交谈,了解本月务工和生产情况"
        ),
        family_agrees=True,
        agreed_by="户主",
        **kw,
    )
    recording.store(session=session, actor=ctx.users[username], data=data)


def seed(*, session: Session, ctx: DemoContext) -> None:
    today = clock.today()
    for households in ctx.households.values():
        for h in households:
            # Demo households stand for families registered years ago.
            h.created_at = clock.now() - timedelta(days=800)
            session.add(h)
    session.flush()
    grid = {"lengshuigou": "lengshuigou_grid"}
    for key, households in ctx.households.items():
        helper = VILLAGE_HELPER[key]
        for i, h in enumerate(households):
            if h.helper_id is None:
                continue
            # Last month: every household; this month: only some (coverage shows the rest).
            _visit(session, ctx, h, helper, _at(today.day + 10))
            if i % 3 == 0 and key != "lengshuigou":
                _visit(session, ctx, h, helper, _at(min(today.day - 1, 2)))
        if key in grid:
            for h in households[:4]:
                _visit(
                    session,
                    ctx,
                    h,
                    grid[key],
                    _at(today.day + 12, 15),
                    kind="phone",
                    reached="户主",
                )
    # One household's income "measured" this month exactly as the same month last year.
    copied = ctx.households["gaojiazhuang"][1]
    same = {"wage": 2600, "business": 400, "transfer": 300}
    _visit(session, ctx, copied, "helper_wang", _at(365), ledger=same)
    _visit(session, ctx, copied, "helper_wang", _at(0, 8), ledger=same)
    # The same text pasted for several households this month.
    for h in ctx.households["nanshilipu"][:4]:
        _visit(session, ctx, h, "helper_wang", _at(0, 9), notes=PASTED)
    session.commit()
