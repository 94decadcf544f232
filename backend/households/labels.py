"""The Chinese names of the fields of the household, member, income, plan and measure forms, so
that a refusal names the box on the screen that is wrong. Imported by the package: importing
the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "name": "姓名",
        "id_number": "身份证号",
        "phone": "手机号",
        "birth_date": "出生日期",
        "sex": "性别",
        "relation": "与户主关系",
        "health": "健康状况",
        "schooling": "在校情况",
        "labour": "劳动能力",
        "employment": "务工就业",
        "area_code": "所属地区",
        "helper_id": "帮扶责任人",
        "category": "类别",
        "monitoring_type": "监测类型",
        "risk_types": "风险类型",
        "address": "住址",
        "registered_on": "建档日期",
        "enrolled_on": "纳入监测日期",
        "cleared_on": "风险消除日期",
        "year": "年度",
        "wage": "工资性收入",
        "business": "经营性收入",
        "property": "财产性收入",
        "transfer": "转移性收入",
        "business_cost": "生产经营性支出",
        "household_size": "家庭人口",
        "kind": "类型",
        "description": "说明",
        "amount": "金额",
        "start_on": "开始日期",
        "status": "状态",
        "members": "家庭成员",
        "measures": "帮扶措施",
        "due_on": "截止日期",
        "reason": "理由",
        "household_id": "户",
    }
)
