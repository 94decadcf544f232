"""The Chinese names of the fields of a visit, its checklist and ledger, and a batch of visits,
so that a refusal names the box on the screen that is wrong. Imported by the package:
importing the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "helper_id": "帮扶责任人",
        "year": "年度",
        "wage": "工资性收入",
        "business": "经营性收入",
        "property": "财产性收入",
        "transfer": "转移性收入",
        "business_cost": "生产经营性支出",
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
