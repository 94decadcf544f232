"""The Chinese names of the warning forms' fields. Imported by the package."""

from backend.core.errors import register_labels

register_labels(
    {
        "period": "预警期间",
        "figures": "预警数据",
        "reason": "理由",
        "summary": "预警内容",
    }
)
