"""Data faults (四个一致): ID numbers that are invalid or disagree with the sex and birth date
recorded, students of an impossible age, the dead still counted, and a monthly ledger that
disagrees with the declared yearly income."""

from collections.abc import Iterator
from datetime import date

from sqlmodel import col, select

from backend.checks import sources
from backend.checks.base import Context, Hit, Param, data_fault
from backend.core import security
from backend.core.scope import within
from backend.households.models import IN_SCHOOL, Member
from backend.visits.models import LedgerEntry

SEX_WORDS = {"male": "男", "female": "女"}


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _judged_here(ctx: Context, rows: list[tuple]) -> list[tuple]:
    """Decrypt and judge `rows` (member, household, area, cipher, sex, birth date): (member,
    household, area, masked number, problem, sex, birth date, sex and birth date by the
    number). The keys and the clock read once: per member they were half the time."""
    out = []
    numbers = security.decrypt_id_numbers(cipher for *_, cipher, _, _ in rows)
    for (mid, hid, area, _, sex, born), number in zip(rows, numbers, strict=True):
        problem = security.id_number_problem(number, ctx.today)
        id_sex = id_born = None
        if problem is None:
            id_sex, id_born = security.sex_of(number), security.birth_date_of(number)
        masked = security.mask_id_number(number)
        out.append((mid, hid, area, masked, problem, sex, born, id_sex, id_born))
    return out


def _id_rows(ctx: Context) -> list[tuple]:
    """The active members whose ID number is invalid or disagrees with their sex or birth
    date, as `_judged_here` gives them.

    The verdict on each number is stored when it is written (Member.id_number_valid,
    id_sex, id_birth_date), so most members are judged by comparing columns. Decrypted
    here (tens of microseconds each): the numbers found invalid, or valid but born on or
    after today (which only the day of the check can judge), to say why and show them
    masked; and any number stored without a verdict."""
    if "id_rows" in ctx.cache:
        return ctx.cache["id_rows"]
    cols = (
        Member.id,
        Member.household_id,
        Member.area_code,
        Member.id_number_cipher,
        Member.sex,
        Member.birth_date,
    )
    mine = (
        within(Member.area_code, ctx.area),
        col(Member.active).is_(True),
        col(Member.id_number_cipher).is_not(None),
    )
    unsure = select(*cols).where(
        *mine,
        col(Member.id_number_valid).is_not(True) | (Member.id_birth_date >= ctx.today),
    )
    rows = _judged_here(ctx, list(ctx.rows(unsure)))
    disagree = select(*cols, Member.id_sex, Member.id_birth_date).where(
        *mine,
        col(Member.id_number_valid).is_(True),
        Member.id_birth_date < ctx.today,
        (Member.id_sex != Member.sex) | (Member.id_birth_date != Member.birth_date),
    )
    for mid, hid, area, _, sex, born, id_sex, id_born in ctx.rows(disagree):
        rows.append((mid, hid, area, None, None, sex, born, id_sex, id_born))
    ctx.cache["id_rows"] = rows
    return rows


def id_number_invalid(ctx: Context) -> Iterator[Hit]:
    """成员的身份证号位数、出生日期或校验码不正确。"""
    for mid, hid, area, masked, problem, *_ in _id_rows(ctx):
        if problem:
            yield Hit(
                "member",
                str(mid),
                area,
                f"身份证号无效:{problem}({masked})",
                {"problem": problem, "id_number": masked},
                hid,
            )


def id_number_mismatch(ctx: Context) -> Iterator[Hit]:
    """成员登记的性别或出生日期与其身份证号不一致。"""
    for mid, hid, area, _, problem, sex, born, id_sex, id_born in _id_rows(ctx):
        if problem or id_sex is None or id_born is None:
            continue  # reported as invalid
        reasons = []
        if id_sex != sex:
            reasons.append(f"性别登记为{SEX_WORDS.get(sex, sex)},身份证号为{SEX_WORDS[id_sex]}")
        if id_born != born:
            reasons.append(f"出生日期登记为 {born},身份证号为 {id_born}")
        if reasons:
            values = {"sex": sex, "birth_date": born.isoformat(), "id_sex": id_sex}
            values["id_birth_date"] = id_born.isoformat()
            yield Hit("member", str(mid), area, ";".join(reasons), values, hid)


def student_age(ctx: Context) -> Iterator[Hit]:
    """登记为在校的成员年龄大于设定上限或小于设定下限。"""
    oldest, youngest = ctx.params["max_age"], ctx.params["min_age"]
    # Older than `oldest`: born on or before the day they turned oldest + 1.
    old = _years_ago(ctx.today, oldest + 1)
    young = _years_ago(ctx.today, youngest)
    stmt = select(
        Member.id, Member.household_id, Member.area_code, Member.birth_date, Member.schooling
    ).where(
        within(Member.area_code, ctx.area),
        col(Member.active).is_(True),
        col(Member.schooling).in_([s.value for s in IN_SCHOOL]),
        (col(Member.birth_date) <= old) | (col(Member.birth_date) > young),
    )
    for mid, hid, area, born, schooling in ctx.rows(stmt):
        age = (
            ctx.today.year - born.year - ((ctx.today.month, ctx.today.day) < (born.month, born.day))
        )
        yield Hit(
            "member",
            str(mid),
            area,
            f"在校学生年龄 {age} 岁,不在 {youngest}–{oldest} 岁之间",
            {"age": age, "schooling": schooling, "birth_date": born.isoformat()},
            hid,
        )


def dead_member_counted(ctx: Context) -> Iterator[Hit]:
    """成员已登记去世,仍是家庭的在册成员。"""
    stmt = select(Member.id, Member.household_id, Member.area_code, Member.died_on).where(
        within(Member.area_code, ctx.area),
        col(Member.active).is_(True),
        col(Member.died_on).is_not(None),
    )
    for mid, hid, area, died in ctx.rows(stmt):
        yield Hit(
            "member",
            str(mid),
            area,
            f"成员已于 {died} 去世,仍计入家庭人口",
            {"died_on": died.isoformat()},
            hid,
        )


def ledger_mismatch(ctx: Context) -> Iterator[Hit]:
    """同一年的月度收支登记折合人均收入,与申报的年人均纯收入相差超过设定比例(四个一致)。"""
    gap, least = ctx.params["gap_percent"], ctx.params["min_months"]
    incomes = sources.incomes(ctx)
    years = [ctx.today.year - 1, ctx.today.year]
    stmt = sources.ledger_totals(ctx, col(LedgerEntry.year).in_(years), by=(LedgerEntry.year,))
    known = sources.ids(ctx)
    best: dict = {}
    for raw, year, months, net, _, _, size in ctx.rows(stmt):
        hid = known.get(raw)
        declared = incomes.get(hid, {}).get(year)
        if declared is None or months < least or not size or not declared.size:
            continue
        # Keep the latest year that can be compared.
        if hid not in best or best[hid][0] < year:
            best[hid] = (year, months, int(net or 0), size, declared)
    households = sources.households(ctx)
    for hid, (year, months, net, size, declared) in best.items():
        ledger_pc = net * 12 // months // size
        base = declared.per_capita
        if abs(ledger_pc - base) * 100 <= gap * max(abs(base), 1):
            continue
        h = households.get(hid)
        if h is None:
            continue
        yield Hit.of_household(
            h,
            f"{year} 年收支登记折合人均 {ledger_pc} 元,与申报的人均纯收入 {base} 元相差超过 {gap}%",
            {
                "year": year,
                "ledger_months": months,
                "ledger_per_capita": ledger_pc,
                "declared_per_capita": base,
            },
        )


CHECKS = [
    data_fault("id_number_invalid", "身份证号无效", "serious", id_number_invalid),
    data_fault("id_number_mismatch", "性别或出生日期与身份证号不符", "general", id_number_mismatch),
    data_fault(
        "student_age",
        "在校学生年龄异常",
        "general",
        student_age,
        params={
            "max_age": Param(30, "最大年龄", 18, 80),
            "min_age": Param(3, "最小年龄", 0, 10),
        },
    ),
    data_fault("dead_member_counted", "已故成员仍计入人口", "serious", dead_member_counted),
    data_fault(
        "ledger_mismatch",
        "收支登记与申报收入不一致",
        "general",
        ledger_mismatch,
        params={
            "gap_percent": Param(20, "相差比例(%)", 1, 100),
            "min_months": Param(6, "最少登记月数", 1, 12),
        },
    ),
]
