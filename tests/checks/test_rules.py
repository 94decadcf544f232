"""Each check: a household (member, helper, village) that triggers it, and one just on the
other side of each threshold. The clock stands at 2026-06-10 (China)."""

from datetime import date

import pytest
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import clock, security
from tests import factories
from tests.checks.builders import (
    change,
    findings,
    income,
    ledger,
    measure,
    members,
    monitor,
    report,
    run,
    store_id_number,
    subjects,
    visit,
    wrong_check_digit,
)
from tests.dates import china
from tests.factories import LENGSHUIGOU, YANJIAPING


def test_below_line_records_the_line_and_the_income_used(session: Session) -> None:
    under, at_line = factories.household(session), factories.household(session)
    income(session, under, 2025, wage=13_999)  # 6999 a head, line 7000
    income(session, at_line, 2025, wage=14_000)
    run(session)
    assert subjects(session, "below_line") == {under.id}
    (found,) = findings(session, "below_line")
    assert found.values["line"] == 7000
    assert found.values["per_capita_net_income"] == 6999
    assert found.values["year"] == 2025
    assert found.values["income_source"] == "income_record"


def test_below_line_looks_only_at_lifted_or_monitored(session: Session) -> None:
    ordinary = factories.household(session, category="ordinary")
    income(session, ordinary, 2025, wage=100)
    run(session)
    assert subjects(session, "below_line") == set()


def test_income_drop_yearly(session: Session) -> None:
    fell, same = factories.household(session), factories.household(session)
    income(session, fell, 2024, wage=16_002)
    income(session, fell, 2025, wage=16_000)
    income(session, same, 2024, wage=16_000)
    income(session, same, 2025, wage=16_000)
    run(session)
    assert subjects(session, "income_drop") == {fell.id}


def test_income_drop_ledger_over_the_share(session: Session) -> None:
    fell, edge = factories.household(session), factories.household(session)
    for m in ("03", "04", "05"):
        ledger(session, fell, f"2025-{m}", wage=1000)
        ledger(session, fell, f"2026-{m}", wage=699 if m == "05" else 700)
        ledger(session, edge, f"2025-{m}", wage=1000)
        ledger(session, edge, f"2026-{m}", wage=700)  # exactly 30% down: not over it
    run(session)
    assert subjects(session, "income_drop") == {fell.id}
    (found,) = findings(session, "income_drop")
    assert found.values["ledger"]["net_income"] == 2099


def test_copied_income_yearly_and_ledger_month(session: Session) -> None:
    copied, differs, month = (factories.household(session) for _ in range(3))
    income(session, copied, 2024, wage=16_000, transfer=300)
    income(session, copied, 2025, wage=16_000, transfer=300)
    income(session, differs, 2024, wage=16_000, transfer=300)
    income(session, differs, 2025, wage=16_000, transfer=301)
    ledger(session, month, "2025-04", wage=1234)
    ledger(session, month, "2026-04", wage=1234)
    ledger(session, differs, "2025-04", wage=1234)
    ledger(session, differs, "2026-04", wage=1235)
    run(session)
    assert subjects(session, "copied_income") == {copied.id, month.id}


def test_missed_enrollment_spending_share(session: Session) -> None:
    over, at_share = factories.household(session), factories.household(session)
    ledger(session, over, "2026-01", wage=10_000, medical_spending=5001)
    ledger(session, at_share, "2026-01", wage=10_000, medical_spending=5000)
    run(session)
    assert subjects(session, "missed_enrollment") == {over.id}
    (found,) = findings(session, "missed_enrollment")
    assert found.values["risk_types"] == ["illness"]


def test_missed_enrollment_medical_amount(session: Session) -> None:
    over, at_amount = factories.household(session), factories.household(session)
    ledger(session, over, "2026-02", wage=100_000, medical_spending=20_001)
    ledger(session, at_amount, "2026-02", wage=100_000, medical_spending=20_000)
    run(session)
    assert subjects(session, "missed_enrollment") == {over.id}


def test_missed_enrollment_skips_the_monitored(session: Session) -> None:
    monitored = factories.household(session)
    monitor(session, monitored, ["illness"], date(2026, 1, 5))
    ledger(session, monitored, "2026-02", wage=1000, medical_spending=30_000)
    run(session)
    assert subjects(session, "missed_enrollment") == set()


def test_missed_enrollment_risk_seen_on_a_visit_not_followed(session: Session) -> None:
    cadre = factories.user(session, Role.village_cadre, LENGSHUIGOU)
    seen, followed = factories.household(session), factories.household(session)
    visit(session, seen, cadre.id, china(2026, 5, 3), new_risks=["accident"])
    visit(session, followed, cadre.id, china(2026, 5, 3), new_risks=["accident"])
    report(
        session, followed.area_code, on_behalf=True, at=china(2026, 5, 4), household_id=followed.id
    )
    run(session)
    assert subjects(session, "missed_enrollment") == {seen.id}


def _child(born: date, schooling: str = "primary"):  # type: ignore[no-untyped-def]
    return factories.member("child", born=born, schooling=schooling)


def test_premature_clearance_child_still_at_school(session: Session) -> None:
    at_school = factories.household(
        session, members=[factories.member("head"), _child(date(2014, 3, 1))]
    )
    left_school = factories.household(
        session, members=[factories.member("head"), _child(date(2014, 3, 1), "not_in_school")]
    )
    for h in (at_school, left_school):
        monitor(session, h, ["schooling"], date(2024, 1, 1), cleared_on=date(2024, 7, 2))
        measure(session, h, "education", "done")
    run(session)
    assert subjects(session, "premature_clearance") == {at_school.id}
    (found,) = findings(session, "premature_clearance")
    assert "因学纳入,仍有成员在校就读" in found.values["reasons"]


def test_premature_clearance_too_soon_or_without_a_measure(session: Session) -> None:
    soon, no_measure, fine = (factories.household(session) for _ in range(3))
    monitor(session, soon, ["illness"], date(2024, 1, 1), cleared_on=date(2024, 7, 1))  # 182 days
    monitor(session, fine, ["illness"], date(2024, 1, 1), cleared_on=date(2024, 7, 2))  # 183
    monitor(session, no_measure, ["illness"], date(2024, 1, 1), cleared_on=date(2024, 7, 2))
    measure(session, soon, "medical", "done")
    measure(session, fine, "medical", "done")
    measure(session, no_measure, "medical", "planned")
    run(session)
    assert subjects(session, "premature_clearance") == {soon.id, no_measure.id}


def test_premature_clearance_housing_still_unsafe(session: Session) -> None:
    h = factories.household(session)
    monitor(session, h, ["housing"], date(2024, 1, 1), cleared_on=date(2024, 9, 1))
    measure(session, h, "housing", "done")
    change(session, h, basic_needs={**h.basic_needs, "housing": False})
    run(session)
    assert subjects(session, "premature_clearance") == {h.id}


def _six_months(session: Session, h, wage: int) -> None:  # type: ignore[no-untyped-def]
    for month in ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"):
        ledger(session, h, month, wage=wage)


def test_overdue_clearance_twelve_months_and_income_above_the_line(session: Session) -> None:
    due, too_recent, too_poor = (factories.household(session) for _ in range(3))
    monitor(session, due, ["illness"], date(2025, 6, 1))
    monitor(session, too_recent, ["illness"], date(2025, 7, 1))
    monitor(session, too_poor, ["illness"], date(2025, 6, 1))
    _six_months(session, due, 1167)  # 7002 × 2 / 2 = 7002 a head a year
    _six_months(session, too_recent, 1167)
    _six_months(session, too_poor, 1166)  # 6996
    for h in (due, too_recent, too_poor):
        measure(session, h, "medical", "done")
    run(session)
    assert subjects(session, "overdue_clearance") == {due.id}
    (found,) = findings(session, "overdue_clearance")
    assert found.values["line"] == 7000 and found.values["annualised_per_capita"] == 7002


def test_overdue_clearance_not_while_the_cause_persists(session: Session) -> None:
    ill = factories.household(
        session,
        members=[factories.member("head", health="serious_illness"), factories.member("spouse")],
    )
    monitor(session, ill, ["illness"], date(2025, 1, 1))
    _six_months(session, ill, 2000)
    ledger(session, ill, "2025-11", wage=2000, medical_spending=10_000)
    run(session)
    assert subjects(session, "overdue_clearance") == set()


def test_overdue_clearance_only_where_the_clear_risk_guards_would_pass(session: Session) -> None:
    """A household the guards would refuse is not due for clearance: nobody of working age
    able to work (16–60 this year), no measure carried out, a seriously ill member of an
    illness risk."""
    m = factories.member

    def elder():  # type: ignore[no-untyped-def]
        return m("spouse", born=date(1960, 1, 1), male=False)

    sixty = factories.household(session, members=[m("head", born=date(1966, 12, 31)), elder()])
    sixty_one = factories.household(session, members=[m("head", born=date(1965, 12, 31)), elder()])
    idle = factories.household(session, members=[m("head", born=date(1980, 1, 1), labour="none")])
    planned = factories.household(session)
    ill = factories.household(
        session, members=[m("head", health="serious_illness"), m("spouse", born=date(1975, 1, 1))]
    )
    for h in (sixty, sixty_one, idle, planned):
        monitor(session, h, ["accident"], date(2025, 1, 1))
    monitor(session, ill, ["illness"], date(2025, 1, 1))
    for h in (sixty, sixty_one, idle, planned, ill):
        _six_months(session, h, 4000)
        measure(session, h, "other", "planned" if h is planned else "done")
    run(session)
    assert subjects(session, "overdue_clearance") == {sixty.id}


def test_weak_plan_one_measure_or_unanswered_risk(session: Session) -> None:
    one, unanswered, good, new = (factories.household(session) for _ in range(4))
    for h in (one, unanswered, good):
        monitor(session, h, ["schooling"], date(2026, 1, 1))
    monitor(session, new, ["schooling"], date(2026, 5, 20))  # plan not yet due
    measure(session, one, "education")
    measure(session, unanswered, "industry")
    measure(session, unanswered, "employment")
    measure(session, good, "education")
    measure(session, good, "industry")
    run(session)
    assert subjects(session, "weak_plan") == {one.id, unanswered.id}


def test_single_person_dibao_with_a_seriously_ill_member(session: Session) -> None:
    single = factories.household(
        session,
        members=[factories.member("head", health="serious_illness"), factories.member("spouse")],
    )
    whole = factories.household(
        session,
        members=[factories.member("head", health="serious_illness"), factories.member("spouse")],
    )
    for h in (single, whole):
        monitor(session, h, ["illness"], date(2025, 1, 1))
    patient = members(session, single)[0]
    measure(session, single, "dibao", member_ids=[patient.id])
    measure(session, whole, "dibao", member_ids=[m.id for m in members(session, whole)])
    run(session)
    assert subjects(session, "single_person_dibao") == {single.id}


def test_missed_visit_last_month(session: Session) -> None:
    helper = factories.user(session, Role.helper, LENGSHUIGOU)
    missed = factories.household(session, helper=helper)
    visited = factories.household(session, helper=helper)
    unassigned = factories.household(session)
    new = factories.household(session, helper=helper)  # registered this month: owes nothing yet
    for h in (missed, visited, unassigned):
        change(session, h, created_at=china(2025, 1, 1))
    visit(session, visited, helper.id, china(2026, 5, 12))
    run(session)
    assert subjects(session, "missed_visit") == {missed.id}
    assert unassigned.id not in subjects(session, "missed_visit")
    assert new.id not in subjects(session, "missed_visit")


@pytest.mark.parametrize(("day", "expected"), [(20, False), (21, True)])
def test_missed_visit_this_month_after_the_20th(session: Session, day: int, expected: bool) -> None:
    clock.freeze(china(2026, 6, day, 12))
    helper = factories.user(session, Role.helper, LENGSHUIGOU)
    h = factories.household(session, helper=helper)
    visit(session, h, helper.id, china(2026, 5, 12))
    run(session)
    assert (h.id in subjects(session, "missed_visit")) is expected


NOTE = "入户了解家庭生产生活情况,宣传防返贫监测政策和一键报贫,家中两不愁三保障均有保障。"


def test_copied_visit_notes_across_three_households_of_one_helper(session: Session) -> None:
    helper = factories.user(session, Role.helper, LENGSHUIGOU)
    other = factories.user(session, Role.helper, LENGSHUIGOU)
    hs = [factories.household(session, helper=helper) for _ in range(3)]
    # Nearly identical: one character differs (3-gram Jaccard well above 0.9).
    for i, h in enumerate(hs):
        visit(session, h, helper.id, china(2026, 5, 10 + i), notes=NOTE[:-1] + "。!?"[i])
    for h in hs[:2]:  # two households only: not enough
        visit(session, h, other.id, china(2026, 5, 20), notes=NOTE)
    run(session)
    assert subjects(session, "copied_visit_notes") == {f"helper:{helper.id}"}
    (found,) = findings(session, "copied_visit_notes")
    assert found.values["households"] == 3


def test_copied_visit_notes_ignores_short_or_different_notes(session: Session) -> None:
    helper = factories.user(session, Role.helper, LENGSHUIGOU)
    hs = [factories.household(session, helper=helper) for _ in range(4)]
    for h in hs[:3]:
        visit(session, h, helper.id, china(2026, 5, 10), notes="家中情况良好,无新增风险。")  # < 30
    texts = [NOTE, "今天帮助户主联系了县医院的专家门诊,协助办理慢病卡并讲解报销比例和流程。"]
    for h, text in zip(hs[:2], texts, strict=True):
        visit(session, h, helper.id, china(2026, 5, 11), notes=text)
    run(session)
    assert subjects(session, "copied_visit_notes") == set()


def test_similar_groups_finds_pairs_above_the_threshold() -> None:
    from backend.checks.rules.visits import jaccard, shingles, similar_groups

    a, b = shingles(NOTE), shingles(NOTE[:-1] + "!")
    c = shingles("今天帮助户主联系了县医院的专家门诊,协助办理慢病卡并讲解报销比例和流程。")
    assert jaccard(a, b) >= 0.9 > jaccard(a, c)
    assert similar_groups([a, c, b], 0.9) == [[0, 2]]


def test_low_uptake_village_far_under_the_county_average(session: Session) -> None:
    factories.household(session, LENGSHUIGOU)
    factories.household(session, YANJIAPING)
    for _ in range(4):
        report(session, LENGSHUIGOU)
    report(session, YANJIAPING, on_behalf=True)  # a cadre's 代报 is not the farmers' own
    run(session)
    assert subjects(session, "low_uptake") == {f"village:{YANJIAPING}"}


def test_low_uptake_not_at_a_quarter_of_the_average(session: Session) -> None:
    factories.household(session, LENGSHUIGOU)
    factories.household(session, YANJIAPING)
    for _ in range(7):
        report(session, LENGSHUIGOU)
    report(session, YANJIAPING)  # 1 of an average of 4: exactly a quarter
    run(session)
    assert subjects(session, "low_uptake") == set()


def test_id_number_invalid_and_mismatch(session: Session) -> None:
    h = factories.household(session)
    head, spouse = sorted(members(session, h), key=lambda m: m.relation != "head")
    store_id_number(session, head, wrong_check_digit(head))
    change(session, spouse, sex="male")  # her ID number says female
    run(session)
    assert subjects(session, "id_number_invalid") == {h.id}
    assert {f.subject_key for f in findings(session, "id_number_invalid")} == {f"member:{head.id}"}
    assert {f.subject_key for f in findings(session, "id_number_mismatch")} == {
        f"member:{spouse.id}"
    }
    (invalid,) = findings(session, "id_number_invalid")
    assert "********" in invalid.values["id_number"]  # masked, never whole


def test_student_age(session: Session) -> None:
    over = factories.household(
        session, members=[factories.member("head"), _child(date(1995, 6, 10), "higher")]
    )
    thirty = factories.household(
        session, members=[factories.member("head"), _child(date(1995, 6, 11), "higher")]
    )
    toddler = factories.household(
        session, members=[factories.member("head"), _child(date(2023, 6, 11), "preschool")]
    )
    three = factories.household(
        session, members=[factories.member("head"), _child(date(2023, 6, 10), "preschool")]
    )
    run(session)
    assert subjects(session, "student_age") == {over.id, toddler.id}
    assert thirty.id not in subjects(session, "student_age") and three.id


def test_dead_member_counted(session: Session) -> None:
    counted, left = factories.household(session), factories.household(session)
    change(session, members(session, counted)[0], died_on=date(2026, 3, 1))
    change(session, members(session, left)[0], died_on=date(2026, 3, 1), active=False)
    run(session)
    assert subjects(session, "dead_member_counted") == {counted.id}


def test_ledger_mismatch_over_twenty_percent(session: Session) -> None:
    apart, within_gap = factories.household(session), factories.household(session)
    for h, wage in ((apart, 1001), (within_gap, 1000)):
        income(session, h, 2025, wage=10_000, size=1)
        for m in range(1, 7):
            ledger(session, h, f"2025-{m:02d}", wage=wage, size=1)  # 12,012 vs 12,000 a year
    run(session)
    assert subjects(session, "ledger_mismatch") == {apart.id}


def test_id_checks_after_a_run_judge_new_members_and_standing_findings(session: Session) -> None:
    h = factories.household(session)
    head = members(session, h)[0]
    store_id_number(session, head, wrong_check_digit(head))
    run(session)
    assert {f.subject_key for f in findings(session, "id_number_invalid")} == {f"member:{head.id}"}
    # Rerun: the standing finding is judged again and stays open.
    run(session)
    assert {f.subject_key for f in findings(session, "id_number_invalid")} == {f"member:{head.id}"}
    # A member added after the run is judged too; the fixed one resolves.
    clock.freeze(china(2026, 6, 11))
    later = factories.household(session)
    newcomer = members(session, later)[0]
    change(session, newcomer, sex="female" if newcomer.sex == "male" else "male")
    change(session, head, active=False)
    run(session)
    assert subjects(session, "id_number_invalid") == set()
    assert {f.subject_key for f in findings(session, "id_number_mismatch")} == {
        f"member:{newcomer.id}"
    }


def test_id_numbers_stored_without_a_verdict_are_judged_by_decrypting(session: Session) -> None:
    """A number written by a path that did not judge it (verdict NULL) is found all the same."""
    h = factories.household(session)
    head, spouse = sorted(members(session, h), key=lambda m: m.relation != "head")
    unjudged = {"id_number_valid": None, "id_sex": None, "id_birth_date": None}
    wrong = security.encrypt_id_number(wrong_check_digit(head))
    change(session, head, id_number_cipher=wrong, **unjudged)
    change(session, spouse, sex="male", **unjudged)  # her ID number says female
    run(session)
    assert {f.subject_key for f in findings(session, "id_number_invalid")} == {f"member:{head.id}"}
    assert {f.subject_key for f in findings(session, "id_number_mismatch")} == {
        f"member:{spouse.id}"
    }


def test_id_number_born_after_the_day_of_the_check_is_invalid_until_that_day(
    session: Session,
) -> None:
    """The stored verdict judges the number's form; a birth date still to come is judged on
    the day of each run."""
    h = factories.household(session)
    head = members(session, h)[0]
    born = date(2026, 6, 11)  # the clock stands at 2026-06-10
    store_id_number(session, head, factories.id_number(born, male=head.sex == "male"))
    change(session, head, birth_date=born)
    run(session)
    (invalid,) = findings(session, "id_number_invalid")
    assert invalid.values["problem"] == "其中的出生日期不合理"
    assert "********" in invalid.values["id_number"]
    clock.freeze(china(2026, 6, 12))
    run(session)
    assert findings(session, "id_number_invalid") == []
    assert findings(session, "id_number_mismatch") == []
