"""The Chinese names of the fields of a county's correction to the calendar, so that a refusal
names the box on the screen that is wrong. Imported by the package: importing the domain
registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "area_code": "所属地区",
        "year": "年度",
        "note": "备注",
        "month": "月份",
    }
)
