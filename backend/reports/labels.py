"""The Chinese names of the fields of a self-report and the forms that work it, so that a
refusal names the box on the screen that is wrong. Imported by the package: importing the
domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "name": "姓名",
        "id_number": "身份证号",
        "phone": "手机号",
        "area_code": "所属地区",
        "category": "类别",
        "monitoring_type": "监测类型",
        "risk_types": "风险类型",
        "start_on": "开始日期",
        "held_on": "评议日期",
        "visit_id": "核实走访",
        "decided_on": "审定日期",
        "announced_on": "公告日期",
        "status": "状态",
        "reason": "理由",
        "note": "备注",
        "photo_ids": "照片",
        "household_id": "户",
        "file_id": "文件",
    }
)
