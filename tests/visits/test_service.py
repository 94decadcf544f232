"""The small rules behind visits: canonical payloads, pasted-text fingerprints, months."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from pydantic import Field

from backend.visits import service
from backend.visits.schemas import VisitCreate


def _visit(**kw) -> VisitCreate:  # type: ignore[no-untyped-def]
    data = {
        "id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "kind": "home",
        "visited_at": "2026-03-05T09:00:00+08:00",
        "family_agrees": False,
        "new_risks": ["schooling", "illness"],
    }
    data.update(kw)
    return VisitCreate.model_validate(data)


def test_the_payload_hash_ignores_key_order_zone_spelling_and_risk_order() -> None:
    a = _visit()
    b = VisitCreate.model_validate(
        {
            **{k: v for k, v in reversed(list(a.model_dump(mode="json").items()))},
            "visited_at": "2026-03-05T01:00:00Z",
            "new_risks": ["illness", "schooling", "illness"],
        }
    )
    assert service.payload_hash(a) == service.payload_hash(b)
    assert service.payload_hash(a) != service.payload_hash(_visit(id=str(a.id), notes="x"))


def test_notes_fingerprint_sees_through_spaces_and_punctuation_but_not_short_text() -> None:
    text = "该户两不愁三保障均有保障,家庭收入稳定。"
    assert service.notes_fingerprint(text) == service.notes_fingerprint(
        " 该户两不愁三保障均有保障 家庭收入稳定!"
    )
    assert service.notes_fingerprint("一切正常") is None
    assert service.notes_fingerprint(text) != service.notes_fingerprint(text + "孩子上学")


def test_months_are_counted_in_china_time() -> None:
    # 16:30 UTC on 31 January is already 1 February in Beijing.
    assert service.china_month(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == "2026-02"
    east = timezone(timedelta(hours=8))
    assert service.china_month(datetime(2026, 1, 31, 23, 0, tzinfo=east)) == "2026-01"
    assert service.previous_month("2026-01") == "2025-12"
    assert service.previous_month("2026-11") == "2026-10"


def test_an_optional_field_added_later_does_not_change_the_hash() -> None:
    # Visits stored before a field existed were hashed without it; the same payload replayed
    # after an upgrade must hash the same, or every replay after the upgrade is a 409.
    class Later(VisitCreate):
        weather: str | None = None
        floors: list[str] = Field(default_factory=list)

    a = _visit()
    raw = a.model_dump(mode="json")
    assert service.payload_hash(Later.model_validate(raw)) == service.payload_hash(a)
    spelled = Later.model_validate({**raw, "weather": None, "floors": []})
    assert service.payload_hash(spelled) == service.payload_hash(a)
    assert service.payload_hash(Later.model_validate({**raw, "weather": "雨"})) != (
        service.payload_hash(a)
    )
