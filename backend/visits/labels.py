"""The Chinese names of the fields of a visit, its checklist and ledger, and a batch of visits,
so that a refusal names the box on the screen that is wrong. Imported by the package:
importing the domain registers them."""

# The ledger's income parts, the year and the helper are the households' fields
# (households/schemas.IncomePartsInput): their names come with the households domain.
from backend import households  # noqa: F401
from backend.core.errors import register_labels

register_labels(
    {
        "kind": "类型",
        "note": "备注",
        "visited_at": "走访时间",
        "reached": "接电话的人",
        "latitude": "纬度",
        "longitude": "经度",
        "photo_ids": "照片",
        "checklist": "两不愁三保障",
        "agreed_by": "认可人",
        "corrects_id": "更正的记录",
        "household_id": "户",
        "items": "批量记录",
        "new_risks": "新发现风险",
        "month": "月份",
    }
)
