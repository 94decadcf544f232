"""The Chinese names of the webhook forms' fields. Imported by the package."""

from backend.core.errors import register_labels

register_labels({"url": "推送地址", "events": "事件"})
