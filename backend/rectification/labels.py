"""The Chinese names of the fields of the problem lists, problems, steps, notes, evidence and
reviews, so that a refusal names the box on the screen that is wrong. Imported by the
package: importing the domain registers them."""

from backend.core.errors import register_labels

register_labels(
    {
        "area_code": "所属地区",
        "category": "类别",
        "kind": "类型",
        "description": "说明",
        "status": "状态",
        "reason": "理由",
        "note": "备注",
        "title": "标题",
        "deadline": "整改时限",
        "issued_on": "下发日期",
        "steps": "整改措施",
        "file_id": "文件",
        "file": "文件",
        "text": "内容",
        "next_review_on": "下次复核日期",
        "area_codes": "地区",
        "household_ids": "涉及农户",
        "responsible_unit": "责任单位",
        "responsible_person": "责任人",
        "severity": "严重程度",
        "source": "来源",
        "number": "序号",
        "issuer_mark": "发文机关标志",
        "report_number": "发文字号",
        "copy_to": "抄送机关",
        "printing_office": "印发机关",
        "signer": "签发人",
    }
)
