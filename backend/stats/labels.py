"""The Chinese names of the statistics' parameters, so that a refusal names the box on the
screen that is wrong. Imported by the package: importing the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "months": "月数",
        "area": "地区",
        "format": "格式",
    }
)
