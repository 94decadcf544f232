"""The Chinese names of the fields of an upload, so that a refusal names the box on the screen
that is wrong. Imported by the package: importing the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "area_code": "所属地区",
        "household_id": "户",
        "file_id": "文件",
        "file": "文件",
        "photos": "照片",
    }
)
