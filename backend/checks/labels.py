"""The Chinese names of the checks' fields, so that a refusal names the box that is wrong.
Imported by the package: importing the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "values": "参数",
        "area": "地区",
        "check": "排查规则",
        "reason": "理由",
        "deadline_days": "整改期限(天)",
        "household_id": "户",
    }
)
