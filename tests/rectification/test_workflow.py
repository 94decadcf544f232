"""The problem's life over HTTP: issue, claim, evidence, submit, review; every refusal."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.core import clock
from backend.rectification.models import (
    Evidence,
    Problem,
    ProblemReview,
    ProblemStatus,
    RectificationStep,
)
from tests import factories as f
from tests.rectification.conftest import (
    HUISHI,
    Api,
    People,
    auth,
    png,
    problem_body,
    rows,
    stored,
)


@pytest.fixture(autouse=True)
def _august_2023() -> None:
    clock.freeze(datetime(2023, 8, 10, 2, 0, tzinfo=UTC))


def _audit_actions(session: Session, problem_id: str) -> list[str]:
    rows = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == problem_id).order_by(AuditEntry.at)
    ).all()
    return [r.action for r in rows]


def test_a_problem_goes_from_issued_to_closed_and_every_step_is_audited(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    assert problem["status"] == "issued" and problem["number"] == 1
    assert problem["can"] == ["claim", "copy"]

    claimed = api.claim(people.cadre, problem["id"], deadline="2023-09-10")
    assert claimed["status"] == "claimed"
    assert claimed["claimed_by"]["full_name"] == "高宏伟"
    assert claimed["deadline"] == "2023-09-10"
    assert [s["description"] for s in claimed["steps"]] == ["清理台账表述", "补齐程序性资料"]

    noted = api.post(people.cadre, f"/problems/{problem['id']}/notes", {"text": "已组织各组核对"})
    assert noted.status_code == 201 and noted.json()["status"] == "in_progress"

    evidenced = api.evidence_all(people.cadre, claimed)
    photo = evidenced["steps"][0]["evidence"][0]
    assert photo["kind"] == "file" and photo["content_type"] == "image/png"
    assert "submit_for_closure" in evidenced["can"]

    submitted = api.post(people.cadre, f"/problems/{problem['id']}/submit-for-closure")
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted_for_closure"
    assert all(e["frozen"] for s in body["steps"] for e in s["evidence"])

    closed = api.post(people.township, f"/problems/{problem['id']}/close", {"note": "资料齐全"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_by"]["full_name"] == "张桂兰"
    assert closed.json()["reviews"][0]["decision"] == "close"

    ongoing = api.post(
        people.inspector, f"/problems/{problem['id']}/ongoing", {"next_review_on": "2024-03-01"}
    )
    assert ongoing.status_code == 200 and ongoing.json()["ongoing"] is True
    assert ongoing.json()["next_review_on"] == "2024-03-01"

    assert _audit_actions(session, problem["id"]) == [
        "issue",
        "claim",
        "start",
        "add_note",
        "add_evidence",
        "add_evidence",
        "submit_for_closure",
        "close",
        "mark_ongoing",
    ]
    claim_row = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == problem["id"], AuditEntry.action == "claim"
        )
    ).one()
    assert claim_row.changes["status"] == ["issued", "claimed"]
    assert claim_row.area_code == f.GAOJIAZHUANG


def test_a_returned_problem_goes_back_to_work_and_old_evidence_stays(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    submitted = api.to_submitted(people.cadre, problem["id"])
    pid = problem["id"]

    no_reason = api.post(people.inspector, f"/problems/{pid}/return", {"reason": "  "})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["message"] and "理由" in no_reason.json()["message"]
    missing = api.post(people.inspector, f"/problems/{pid}/return", {})
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "reason"
    assert stored(session, Problem, problem["id"]).status == ProblemStatus.submitted_for_closure  # type: ignore[union-attr]

    returned = api.post(people.inspector, f"/problems/{pid}/return", {"reason": "照片看不清"})
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned" and returned.json()["return_count"] == 1
    assert returned.json()["reviews"][-1]["reason"] == "照片看不清"

    # What the reviewer saw stays: frozen evidence cannot be taken back even after a return.
    old = submitted["steps"][0]["evidence"][0]["id"]
    refused = api.client.delete(
        f"/api/v1/problems/{pid}/evidence/{old}", headers=auth(people.cadre)
    )
    assert refused.status_code == 409 and refused.json()["error"] == "evidence_frozen"

    # New evidence may be added, and taken back until handed in.
    step = submitted["steps"][0]["id"]
    added = api.post(
        people.cadre, f"/problems/{pid}/steps/{step}/evidence", {"kind": "text", "text": "补拍照片"}
    )
    assert added.status_code == 201 and added.json()["status"] == "in_progress"
    new_id = next(e for e in added.json()["steps"][0]["evidence"] if not e["frozen"])["id"]
    gone = api.client.delete(
        f"/api/v1/problems/{pid}/evidence/{new_id}", headers=auth(people.cadre)
    )
    assert gone.status_code == 200
    assert stored(session, Evidence, new_id) is None

    again = api.post(people.cadre, f"/problems/{pid}/submit-for-closure")
    assert again.status_code == 200
    closed = api.post(people.township, f"/problems/{pid}/close", {})
    assert closed.json()["status"] == "closed" and closed.json()["return_count"] == 1


def test_submitting_with_a_step_without_evidence_names_the_step(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    claimed = api.claim(
        people.cadre, problem["id"], steps=["清理台账表述", "补齐程序性资料", "交叉演练"]
    )
    step = claimed["steps"][0]["id"]
    api.post(
        people.cadre,
        f"/problems/{problem['id']}/steps/{step}/evidence",
        {"kind": "text", "text": "已清理"},
    )
    refused = api.post(people.cadre, f"/problems/{problem['id']}/submit-for-closure")
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "step_without_evidence"
    assert "补齐程序性资料" in body["message"] and "交叉演练" in body["message"]
    assert [d["position"] for d in body["detail"]] == [2, 3]
    assert stored(session, Problem, problem["id"]).status == ProblemStatus.in_progress  # type: ignore[union-attr]


def test_evidence_cannot_change_after_submission(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    submitted = api.to_submitted(people.cadre, problem["id"])
    pid, step = problem["id"], submitted["steps"][0]
    before = len(rows(session, select(Evidence)))
    add = api.post(
        people.cadre,
        f"/problems/{pid}/steps/{step['id']}/evidence",
        {"kind": "text", "text": "补充"},
    )
    assert add.status_code == 409 and add.json()["error"] == "evidence_frozen"
    delete = api.client.delete(
        f"/api/v1/problems/{pid}/evidence/{step['evidence'][0]['id']}", headers=auth(people.cadre)
    )
    assert delete.status_code == 409 and delete.json()["error"] == "evidence_frozen"
    step_add = api.post(people.cadre, f"/problems/{pid}/steps", {"description": "再加一条"})
    assert step_add.status_code == 409
    assert len(rows(session, select(Evidence))) == before


def test_the_person_who_rectified_cannot_review_it(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    # The township officer claims a township-level problem, so they are its rectifier.
    problem = api.problem(people.township, batch["id"], area_code=HUISHI)
    api.to_submitted(people.township, problem["id"])
    for path in ("close", "return"):
        r = api.post(
            people.township,
            f"/problems/{problem['id']}/{path}",
            {"reason": "x"} if path == "return" else {},
        )
        assert r.status_code == 403 and r.json()["error"] == "own_rectification"
    assert stored(session, Problem, problem["id"]).status == ProblemStatus.submitted_for_closure  # type: ignore[union-attr]
    assert api.post(people.inspector, f"/problems/{problem['id']}/close", {}).status_code == 200


def test_the_same_person_under_another_account_cannot_review_it(
    api: Api, people: People, session: Session
) -> None:
    # 高宏伟 also holds a township account, registered with the same phone.
    twin = f.user(session, Role.township_officer, HUISHI, full_name="高宏伟")
    twin.phone = people.cadre.phone = "13893000001"
    session.add_all([twin, people.cadre])
    session.commit()
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    api.to_submitted(people.cadre, problem["id"])
    assert "close" not in api.get(twin, f"/problems/{problem['id']}").json()["can"]
    for path in ("close", "return"):
        r = api.post(
            twin, f"/problems/{problem['id']}/{path}", {"reason": "x"} if path == "return" else {}
        )
        assert r.status_code == 403 and r.json()["error"] == "own_rectification"
    assert stored(session, Problem, problem["id"]).status == ProblemStatus.submitted_for_closure  # type: ignore[union-attr]
    assert rows(session, select(ProblemReview)) == []
    # Another officer with no phone on file is not mistaken for them.
    assert api.post(people.township, f"/problems/{problem['id']}/close", {}).status_code == 200


def test_only_someone_else_marks_ones_own_rectification_ongoing(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"], area_code=HUISHI)
    api.to_submitted(people.township, problem["id"])
    assert api.post(people.inspector, f"/problems/{problem['id']}/close", {}).status_code == 200
    body = {"next_review_on": "2024-06-30"}
    r = api.post(people.township, f"/problems/{problem['id']}/ongoing", body)
    assert r.status_code == 403 and r.json()["error"] == "own_rectification"
    assert stored(session, Problem, problem["id"]).ongoing is False  # type: ignore[union-attr]
    assert (
        "mark_ongoing" not in api.get(people.township, f"/problems/{problem['id']}").json()["can"]
    )
    r = api.post(people.inspector, f"/problems/{problem['id']}/ongoing", body)
    assert r.status_code == 200 and r.json()["ongoing"] is True


def test_roles_that_do_not_review_are_refused(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    api.to_submitted(people.cadre, problem["id"])
    r = api.post(people.helper, f"/problems/{problem['id']}/close", {})
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"


def test_only_the_claimant_works_on_a_problem(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    claimed = api.claim(people.cadre, problem["id"])
    step = claimed["steps"][0]["id"]
    r = api.post(
        people.township,
        f"/problems/{problem['id']}/steps/{step}/evidence",
        {"kind": "text", "text": "代填"},
    )
    assert r.status_code == 403 and r.json()["error"] == "not_responsible"
    r = api.post(people.township, f"/problems/{problem['id']}/submit-for-closure")
    assert r.status_code == 403
    mine = api.post(
        people.cadre,
        f"/problems/{problem['id']}/steps/{step}/evidence",
        {"kind": "text", "text": "已清理"},
    )
    evidence_id = mine.json()["steps"][0]["evidence"][0]["id"]
    r = api.client.delete(
        f"/api/v1/problems/{problem['id']}/evidence/{evidence_id}", headers=auth(people.township)
    )
    assert r.status_code == 403 and r.json()["error"] == "not_responsible"
    r = api.client.delete(
        f"/api/v1/problems/{problem['id']}/evidence/{evidence_id}", headers=auth(people.other_cadre)
    )
    assert r.status_code == 404


def test_claims_outside_scope_or_twice_are_refused(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    pid = problem["id"]
    # Another village's cadre and another county's officer do not even see it.
    for who in (people.other_cadre, people.outsider):
        r = api.post(who, f"/problems/{pid}/claim", {"steps": ["x"]})
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        assert api.get(who, f"/problems/{pid}").status_code == 404
    assert stored(session, Problem, pid).claimed_by is None  # type: ignore[union-attr]
    # Steps are required; a deadline after the issued one is refused.
    r = api.post(people.cadre, f"/problems/{pid}/claim", {"steps": []})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "steps"
    r = api.post(people.cadre, f"/problems/{pid}/claim", {"steps": ["x"], "deadline": "2023-10-08"})
    assert r.status_code == 422 and "deadline" in r.json()["message"]
    assert "整改时限" in r.json()["message"]
    assert stored(session, Problem, pid).status == ProblemStatus.issued  # type: ignore[union-attr]
    api.claim(people.helper, pid)  # a county helper is in scope and may claim
    again = api.post(people.cadre, f"/problems/{pid}/claim", {"steps": ["x"]})
    assert again.status_code == 409 and again.json()["error"] == "already_claimed"


def test_issuing_is_for_issuers_in_scope_and_deadlines_fit_the_batch(
    api: Api, people: People, session: Session
) -> None:
    from backend.rectification.models import ProblemBatch

    r = api.post(people.cadre, "/problem-batches", {**_batch_body()})
    assert r.status_code == 403
    r = api.post(people.outsider, "/problem-batches", {**_batch_body()})
    assert r.status_code == 403 and r.json()["error"] == "outside_scope"
    r = api.post(people.township, "/problem-batches", {**_batch_body(), "deadline": "2023-07-01"})
    assert r.status_code == 422 and "整改时限" in r.json()["message"]
    r = api.post(people.township, "/problem-batches", {**_batch_body(), "secret": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "secret"
    assert rows(session, select(ProblemBatch)) == []

    batch = api.batch(people.inspector)
    late = api.post(
        people.township,
        f"/problem-batches/{batch['id']}/problems",
        problem_body(deadline="2023-10-01"),
    )
    assert late.status_code == 422 and late.json()["detail"][0]["field"] == "deadline"
    assert "2023-09-30" in late.json()["message"]
    early = api.post(
        people.township,
        f"/problem-batches/{batch['id']}/problems",
        problem_body(deadline="2023-07-01"),
    )
    assert early.status_code == 422 and "下发日期" in early.json()["message"]
    outside = api.post(
        people.township,
        f"/problem-batches/{batch['id']}/problems",
        problem_body(area_code="620422101200"),
    )
    assert outside.status_code == 422 and outside.json()["detail"][0]["field"] == "area_code"
    by_cadre = api.post(people.cadre, f"/problem-batches/{batch['id']}/problems", problem_body())
    assert by_cadre.status_code == 404  # the batch is not in its reach yet
    assert rows(session, select(Problem)) == []
    # The cadre sees the list through nothing yet (no problem in the village): 404.
    assert api.get(people.cadre, f"/problem-batches/{batch['id']}").status_code == 404
    api.problem(people.township, batch["id"])
    assert api.get(people.cadre, f"/problem-batches/{batch['id']}").status_code == 200


def _batch_body() -> dict:
    from tests.rectification.conftest import BATCH

    return dict(BATCH)


def test_wrong_state_transitions_name_the_rule(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    pid = problem["id"]
    r = api.post(people.township, f"/problems/{pid}/close", {})
    assert r.status_code == 409 and r.json()["error"] == "not_submitted"
    r = api.post(people.township, f"/problems/{pid}/ongoing", {"next_review_on": "2024-01-01"})
    assert r.status_code == 409 and r.json()["error"] == "not_closed"
    api.claim(people.cadre, pid)
    r = api.post(people.cadre, f"/problems/{pid}/submit-for-closure")
    assert r.status_code == 409 and r.json()["error"] == "not_in_progress"
    assert "已认领" in r.json()["message"]


def test_closing_as_ongoing_needs_a_future_review_date(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    api.to_submitted(people.cadre, problem["id"])
    r = api.post(people.township, f"/problems/{problem['id']}/close", {"ongoing": True})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "next_review_on"
    r = api.post(people.township, f"/problems/{problem['id']}/close", {"ongoing": "yes"})
    assert r.status_code == 422
    r = api.post(
        people.township,
        f"/problems/{problem['id']}/close",
        {"ongoing": True, "next_review_on": "2024-06-30"},
    )
    assert r.status_code == 200 and r.json()["ongoing"] is True


def test_evidence_files_must_exist_in_reach(api: Api, people: People, session: Session) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    # The township officer claims 高家庄村's problem: both villages' files are in their reach.
    claimed = api.claim(people.township, problem["id"])
    step = claimed["steps"][0]["id"]
    path = f"/problems/{problem['id']}/steps/{step}/evidence"
    sibling = api.upload(people.other_cadre, "620422100201")
    r = api.post(people.township, path, {"kind": "file", "file_id": sibling})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file_id"
    assert "不属于问题所在地区" in r.json()["message"]
    r = api.post(people.township, path, {"kind": "file", "file_id": str(uuid.uuid4())})
    assert r.status_code == 404
    r = api.post(people.township, path, {"kind": "file"})
    assert r.status_code == 422
    r = api.post(people.township, path, {"kind": "text", "text": ""})
    assert r.status_code == 422
    assert rows(session, select(Evidence)) == []
    assert api.post(people.township, path, {"kind": "text", "text": "已整改"}).status_code == 201


def test_a_file_from_another_village_is_not_found_for_a_cadre(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    step = api.claim(people.cadre, problem["id"])["steps"][0]["id"]
    foreign = api.upload(people.other_cadre, "620422100201")
    r = api.post(
        people.cadre,
        f"/problems/{problem['id']}/steps/{step}/evidence",
        {"kind": "file", "file_id": foreign},
    )
    assert r.status_code == 404
    assert rows(session, select(Evidence)) == []


def test_evidence_goes_on_a_step_of_the_same_problem(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    one = api.problem(people.township, batch["id"])
    two = api.problem(people.township, batch["id"], title="人居环境还需持续改善")
    api.claim(people.cadre, one["id"])
    other_step = api.claim(people.cadre, two["id"])["steps"][0]["id"]
    r = api.post(
        people.cadre,
        f"/problems/{one['id']}/steps/{other_step}/evidence",
        {"kind": "text", "text": "已整改"},
    )
    assert r.status_code == 404
    assert rows(session, select(Evidence)) == []


def test_a_file_uploaded_before_the_problem_was_issued_proves_nothing(
    api: Api, people: People, session: Session
) -> None:
    clock.freeze(datetime(2023, 8, 5, 2, 0, tzinfo=UTC))
    old = api.upload(people.cadre, f.GAOJIAZHUANG, png("blue"))
    clock.freeze(datetime(2023, 8, 10, 2, 0, tzinfo=UTC))
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    step = api.claim(people.cadre, problem["id"])["steps"][0]["id"]
    path = f"/problems/{problem['id']}/steps/{step}/evidence"
    r = api.post(people.cadre, path, {"kind": "file", "file_id": old})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file_id"
    assert "下发之前" in r.json()["message"]
    assert rows(session, select(Evidence)) == []
    clock.freeze(datetime(2023, 8, 12, 2, 0, tzinfo=UTC))
    new = api.upload(people.cadre, f.GAOJIAZHUANG, png("green"))
    clock.freeze(datetime(2023, 8, 20, 2, 0, tzinfo=UTC))
    r = api.post(people.cadre, path, {"kind": "file", "file_id": new})
    assert r.status_code == 201
    shown = r.json()["steps"][0]["evidence"][0]
    # The file's own date (uploaded on the 12th), not the day it was attached (the 20th).
    assert shown["file_date"] == "2023-08-12"
    report = api.get(people.township, f"/problem-batches/{batch['id']}/report").text
    # Not the 20th, when it was attached; without a caption, not the file name either.
    assert "照片（措施一，上传于2023年8月12日）" in report and "photo.png" not in report


def test_a_helper_attaches_only_files_of_their_own_households(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    step = api.claim(people.helper, problem["id"])["steps"][0]["id"]
    path = f"/problems/{problem['id']}/steps/{step}/evidence"
    # Someone else's photo of a household not assigned to this helper.
    stranger = f.household(session, f.GAOJIAZHUANG)
    r = api.client.post(
        "/api/v1/files",
        files={"file": ("photo.png", png("yellow"), "image/png")},
        data={"household_id": str(stranger.id)},
        headers=auth(people.township),
    )
    assert r.status_code == 201, r.text
    r = api.post(people.helper, path, {"kind": "file", "file_id": r.json()["id"]})
    assert r.status_code == 404
    assert rows(session, select(Evidence)) == []
    own = api.upload(people.helper, f.GAOJIAZHUANG, png("purple"))
    assert api.post(people.helper, path, {"kind": "file", "file_id": own}).status_code == 201


def test_similar_problems_are_copied_to_other_villages_in_one_call(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    r = api.post(
        people.township,
        f"/problems/{problem['id']}/copies",
        {"area_codes": ["620422100201", "620422100202"], "responsible_unit": "各村委会"},
    )
    assert r.status_code == 201, r.text
    copies = r.json()["data"]
    assert [c["area_code"] for c in copies] == ["620422100201", "620422100202"]
    assert [c["number"] for c in copies] == [2, 3]
    assert all(c["status"] == "issued" and c["title"] == problem["title"] for c in copies)
    # The other village's cadre now sees and may claim their own copy.
    mine = api.get(people.other_cadre, "/problems").json()
    assert [p["id"] for p in mine["data"]] == [copies[0]["id"]]
    again = api.post(
        people.township, f"/problems/{problem['id']}/copies", {"area_codes": ["620422100201"]}
    )
    assert again.status_code == 409 and again.json()["error"] == "already_copied"
    wrong = api.post(
        people.township, f"/problems/{problem['id']}/copies", {"area_codes": ["620422101200"]}
    )
    assert wrong.status_code == 422
    cadre = api.post(people.cadre, f"/problems/{problem['id']}/copies", {"all_villages": True})
    assert cadre.status_code == 403
    assert len(rows(session, select(Problem))) == 3
    everywhere = api.post(
        people.township,
        f"/problems/{problem['id']}/copies",
        {"all_villages": True, "area_codes": []},
    )
    # All remaining villages of 会师镇: not the original; the two already copied are skipped.
    assert everywhere.status_code == 201, everywhere.text
    body = everywhere.json()
    assert [a["code"] for a in body["skipped"]] == ["620422100201", "620422100202"]
    assert body["skipped"][0]["name"]
    made = {c["area_code"] for c in body["data"]}
    assert made and made.isdisjoint({f.GAOJIAZHUANG, "620422100201", "620422100202"})
    assert len(rows(session, select(Problem))) == 3 + body["count"]
    # A copy does not carry 高家庄村委会 (the boards would blame it): no unit until claimed.
    assert {c["responsible_unit"] for c in body["data"]} == {""}
    assert {c["responsible_unit"] for c in copies} == {"各村委会"}
    api.claim(people.other_cadre, copies[0]["id"])
    again = api.get(people.other_cadre, f"/problems/{copies[0]['id']}").json()
    assert again["responsible_unit"] == "各村委会"


def test_a_township_officer_copies_a_county_problem_to_their_own_villages(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.inspector, area_code="620422", title="全县督查发现问题")
    problem = api.problem(people.inspector, batch["id"])
    assert "copy" in api.get(people.township, f"/problems/{problem['id']}").json()["can"]
    assert "copy" not in api.get(people.cadre, f"/problems/{problem['id']}").json()["can"]
    r = api.post(
        people.township, f"/problems/{problem['id']}/copies", {"area_codes": ["620422100201"]}
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"][0]["responsible_unit"] == ""
    # A village of another township is not 会师镇's to copy to: nothing written.
    r = api.post(
        people.inspector, f"/problems/{problem['id']}/copies", {"area_codes": ["620422101200"]}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "area_codes.0"
    assert len(rows(session, select(Problem))) == 2


def test_a_village_list_offers_no_copy(api: Api, people: People) -> None:
    batch = api.batch(people.township, area_code=f.GAOJIAZHUANG, title="高家庄村自查问题")
    problem = api.problem(people.township, batch["id"])
    assert "copy" not in api.get(people.township, f"/problems/{problem['id']}").json()["can"]
    r = api.post(
        people.township, f"/problems/{problem['id']}/copies", {"area_codes": ["620422100201"]}
    )
    assert r.status_code == 403 and r.json()["error"] == "outside_scope"


def test_lists_filter_and_mark_overdue_on_the_working_day_calendar(
    api: Api, people: People
) -> None:
    batch = api.batch(people.township)
    # Deadline Friday 2023-09-15; on Saturday and Sunday it is not overdue yet.
    friday = api.problem(people.township, batch["id"], deadline="2023-09-15")
    api.problem(
        people.township,
        batch["id"],
        deadline="2023-09-28",
        title="人居环境还需持续改善",
        category="living_environment",
    )
    clock.freeze(datetime(2023, 9, 17, 2, 0, tzinfo=UTC))  # Sunday
    first = api.get(people.township, "/problems", batch_id=batch["id"]).json()
    assert first["count"] == 2 and not any(p["overdue"] for p in first["data"])
    clock.freeze(datetime(2023, 9, 19, 2, 0, tzinfo=UTC))  # Tuesday: 2 working days late
    listed = api.get(people.township, "/problems", batch_id=batch["id"]).json()["data"]
    late = next(p for p in listed if p["id"] == friday["id"])
    assert late["overdue"] is True and late["overdue_days"] == 2
    only = api.get(people.township, "/problems", overdue="true").json()
    assert only["count"] == 1 and only["data"][0]["id"] == friday["id"]
    rest = api.get(people.township, "/problems", overdue="false").json()
    assert rest["count"] == 1 and rest["data"][0]["id"] != friday["id"]
    assert api.get(people.township, "/problems", category="living_environment").json()["count"] == 1
    assert api.get(people.township, "/problems", q="人居").json()["count"] == 1
    assert api.get(people.township, "/problems", status="issued").json()["count"] == 2
    assert api.get(people.other_cadre, "/problems").json()["count"] == 0
    assert api.get(people.township, "/problems", status="nonsense").status_code == 422
    batch_view = api.get(people.township, f"/problem-batches/{batch['id']}").json()
    assert batch_view["counts"]["overdue"] == 1 and batch_view["counts"]["issued"] == 2


def test_a_household_linked_to_a_problem_must_be_in_its_area(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    here = f.household(session, f.GAOJIAZHUANG)
    there = f.household(session, f.LENGSHUIGOU)
    ok = api.problem(people.township, batch["id"], household_ids=[str(here.id)])
    assert ok["household_ids"] == [str(here.id)]
    r = api.post(
        people.township,
        f"/problem-batches/{batch['id']}/problems",
        problem_body(household_ids=[str(there.id)]),
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "household_ids.0"


def test_refusals_write_no_audit_rows(api: Api, people: People, session: Session) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    pid = problem["id"]
    api.post(people.other_cadre, f"/problems/{pid}/claim", {"steps": ["x"]})
    api.post(people.cadre, f"/problems/{pid}/claim", {"steps": ["x"], "deadline": "2023-12-01"})
    api.post(people.township, f"/problems/{pid}/close", {})
    r = api.post(people.helper, f"/problems/{pid}/ongoing", {"next_review_on": "2024-01-01"})
    assert r.status_code == 403
    assert _audit_actions(session, pid) == ["issue"]


def test_the_list_header_is_corrected_by_issuers_only(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    api.problem(people.township, batch["id"], deadline="2023-09-20")
    path = f"/problem-batches/{batch['id']}"
    ok = api.client.patch(
        f"/api/v1{path}",
        json={"document_number": "市农领办发〔2023〕39号", "next_steps": "持续抓好整改。"},
        headers=auth(people.township),
    )
    assert ok.status_code == 200 and ok.json()["document_number"] == "市农领办发〔2023〕39号"
    early = api.client.patch(
        f"/api/v1{path}", json={"deadline": "2023-09-10"}, headers=auth(people.township)
    )
    assert early.status_code == 422 and early.json()["detail"][0]["field"] == "deadline"
    # The cadre sees the list through the village's problem, but may not change it.
    assert api.get(people.cadre, path).status_code == 200
    cadre = api.client.patch(f"/api/v1{path}", json={"title": "改"}, headers=auth(people.cadre))
    assert cadre.status_code == 403
    assert api.get(people.township, path).json()["title"] == batch["title"]
    listed = api.get(people.cadre, "/problem-batches").json()
    assert listed["count"] == 1 and listed["data"][0]["counts"]["total"] == 1


def test_an_issued_problem_is_corrected_until_someone_claims_it(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    path = f"/api/v1/problems/{problem['id']}"
    fixed = api.client.patch(
        path,
        json={"title": "台账资料不规范", "area_code": "620422100201"},
        headers=auth(people.township),
    )
    assert fixed.status_code == 200
    assert fixed.json()["title"] == "台账资料不规范" and fixed.json()["area_code"] == "620422100201"
    late = api.client.patch(path, json={"deadline": "2023-12-01"}, headers=auth(people.township))
    assert late.status_code == 422 and late.json()["detail"][0]["field"] == "deadline"
    cadre = api.client.patch(path, json={"title": "x"}, headers=auth(people.other_cadre))
    assert cadre.status_code == 403
    api.claim(people.other_cadre, problem["id"])
    after = api.client.patch(path, json={"title": "再改"}, headers=auth(people.township))
    assert after.status_code == 409 and after.json()["error"] == "already_claimed"
    assert stored(session, Problem, problem["id"]).title == "台账资料不规范"  # type: ignore[union-attr]
    assert "update" in _audit_actions(session, problem["id"])


def test_the_responsible_person_adds_steps_and_each_needs_evidence(
    api: Api, people: People
) -> None:
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])
    pid = problem["id"]
    claimed = api.claim(people.cadre, pid, steps=["清理台账表述"])
    r = api.post(
        people.cadre,
        f"/problems/{pid}/steps",
        {"description": "组织交叉演练", "planned_on": "2023-08-20"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "in_progress"
    assert [(s["position"], s["description"]) for s in body["steps"]] == [
        (1, "清理台账表述"),
        (2, "组织交叉演练"),
    ]
    assert body["steps"][1]["planned_on"] == "2023-08-20"
    assert (
        api.post(people.township, f"/problems/{pid}/steps", {"description": "代加"}).status_code
        == 403
    )
    assert api.post(people.cadre, f"/problems/{pid}/steps", {"description": ""}).status_code == 422
    api.evidence_all(people.cadre, claimed)  # evidence on step 1 only
    refused = api.post(people.cadre, f"/problems/{pid}/submit-for-closure")
    assert refused.status_code == 409 and "组织交叉演练" in refused.json()["message"]


def test_no_more_than_twenty_steps(api: Api, people: People, session: Session) -> None:
    batch = api.batch(people.township)
    pid = api.problem(people.township, batch["id"])["id"]
    api.claim(people.cadre, pid, steps=[f"措施{i}" for i in range(1, 21)])
    r = api.post(people.cadre, f"/problems/{pid}/steps", {"description": "第二十一条"})
    assert r.status_code == 409 and r.json()["error"] == "too_many_steps"
    assert len(rows(session, select(RectificationStep))) == 20
