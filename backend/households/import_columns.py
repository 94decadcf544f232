"""The household sheet as counties keep it: its Chinese headers (and the other names the same
columns go by), and the words its cells use for each of our values."""

import re
from functools import lru_cache

from backend.households.models import (
    HEALTH_NAMES,
    RELATION_NAMES,
    RISK_NAMES,
    SCHOOLING_NAMES,
    TYPE_NAMES,
    Category,
    Health,
    Labour,
    MonitoringType,
    Relation,
    RiskType,
    Schooling,
)

# Header → key. One row per member; the household's columns repeat on each of its rows (or
# stand on the head's row alone).
REQUIRED = {"户编号": "reference", "姓名": "name", "与户主关系": "relation", "所属村": "village"}
OPTIONAL = {
    "户主姓名": "head_name",
    "证件号码": "id_number",
    "性别": "sex",
    "出生日期": "birth_date",
    "健康状况": "health",
    "在校生情况": "schooling",
    "劳动技能": "labour",
    "户类型": "category",
    "监测对象类别": "monitoring_type",
    "风险类型": "risk_types",
    "纳入监测时间": "enrolled_on",
    "风险消除时间": "risk_cleared_on",
    "人均纯收入": "per_capita",
    "年度": "year",
    "工资性收入": "wage",
    "经营性收入": "business",
    "财产性收入": "property",
    "转移性收入": "transfer",
    "生产经营性支出": "business_cost",
    "建档时间": "registered_on",
    "联系电话": "phone",
    "家庭住址": "address",
}
COLUMNS = {**REQUIRED, **OPTIONAL}
# The same column under the names other systems and counties give it.
HEADER_ALIASES = {
    "户码": "户编号",
    "户号": "户编号",
    "家庭编号": "户编号",
    "成员姓名": "姓名",
    "身份证号": "证件号码",
    "身份证号码": "证件号码",
    "公民身份号码": "证件号码",
    "证件号": "证件号码",
    "关系": "与户主关系",
    "与户主的关系": "与户主关系",
    "村": "所属村",
    "行政村": "所属村",
    "村(社区)": "所属村",
    "所在村": "所属村",
    "所属村代码": "所属村",
    "户主": "户主姓名",
    "出生年月": "出生日期",
    "健康情况": "健康状况",
    "在校生状况": "在校生情况",
    "在校情况": "在校生情况",
    "劳动能力": "劳动技能",
    "户属性": "户类型",
    "农户类型": "户类型",
    "监测对象类型": "监测对象类别",
    "监测类型": "监测对象类别",
    "风险类别": "风险类型",
    "致贫风险": "风险类型",
    "主要风险": "风险类型",
    "识别监测时间": "纳入监测时间",
    "纳入时间": "纳入监测时间",
    "纳入监测日期": "纳入监测时间",
    "消除时间": "风险消除时间",
    "风险消除日期": "风险消除时间",
    "家庭人均纯收入": "人均纯收入",
    "年人均纯收入": "人均纯收入",
    "收入年度": "年度",
    "年份": "年度",
    "工资性收入": "工资性收入",
    "生产经营性收入": "经营性收入",
    "生产经营性支出": "生产经营性支出",
    "建档日期": "建档时间",
    "建档立卡时间": "建档时间",
    "手机号": "联系电话",
    "手机号码": "联系电话",
    "户主电话": "联系电话",
    "住址": "家庭住址",
    "详细地址": "家庭住址",
}
# What belongs to the household, not the member: the same on every row of one 户编号.
HOUSEHOLD_KEYS = (
    "village",
    "head_name",
    "category",
    "monitoring_type",
    "risk_types",
    "enrolled_on",
    "risk_cleared_on",
    "per_capita",
    "year",
    "wage",
    "business",
    "property",
    "transfer",
    "business_cost",
    "registered_on",
    "phone",
    "address",
)
PARTS = ("wage", "business", "property", "transfer", "business_cost")
# The sheet as the national system lays it out (the bench and the tests write this one).
TEMPLATE = (
    "户编号",
    "户主姓名",
    "姓名",
    "证件号码",
    "与户主关系",
    "性别",
    "出生日期",
    "健康状况",
    "在校生情况",
    "劳动技能",
    "所属村",
    "户类型",
    "监测对象类别",
    "风险类型",
    "纳入监测时间",
    "风险消除时间",
    "人均纯收入",
    "年度",
    "建档时间",
)
# Each key's header, for the row-by-row account (it names the column the person sees).
HEADER_OF = {key: header for header, key in COLUMNS.items()}


def column_of(header: str) -> str | None:
    """The key a header cell stands for, or None for a column we do not read."""
    return COLUMNS.get(HEADER_ALIASES.get(header, header))


# --- cell words --------------------------------------------------------------------------

TYPE_BY_NAME = {name: t for t, name in TYPE_NAMES.items()}
TYPE_BY_NAME.update({"脱贫不稳定": MonitoringType.unstable_lifted})
TYPE_BY_NAME.update({"边缘易致贫": MonitoringType.marginal, "边缘户": MonitoringType.marginal})
TYPE_BY_NAME.update({"突发严重困难": MonitoringType.sudden_hardship})

# 户类型: a category, or "monitored" (the 监测对象类别 column then says which kind).
MONITORED_WORDS = frozenset({"监测户", "监测对象", "防返贫监测对象"})
CATEGORY_BY_NAME = {
    "脱贫户": Category.lifted,
    "脱贫人口": Category.lifted,
    "建档立卡户": Category.lifted,
    "一般农户": Category.ordinary,
    "一般户": Category.ordinary,
    "农户": Category.ordinary,
}

RELATION_BY_NAME = {name: r for r, name in RELATION_NAMES.items()}
RELATION_BY_NAME.update(
    {
        "本人": Relation.head,
        "妻": Relation.spouse,
        "夫": Relation.spouse,
        "妻子": Relation.spouse,
        "丈夫": Relation.spouse,
        "子": Relation.child,
        "女": Relation.child,
        "长子": Relation.child,
        "次子": Relation.child,
        "长女": Relation.child,
        "次女": Relation.child,
        "儿子": Relation.child,
        "女儿": Relation.child,
        "养子或继子": Relation.child,
        "养女或继女": Relation.child,
        "儿媳": Relation.child_in_law,
        "女婿": Relation.child_in_law,
        "孙子": Relation.grandchild,
        "孙女": Relation.grandchild,
        "外孙子": Relation.grandchild,
        "外孙女": Relation.grandchild,
        "父亲": Relation.parent,
        "母亲": Relation.parent,
        "父": Relation.parent,
        "母": Relation.parent,
        "公公": Relation.parent,
        "婆婆": Relation.parent,
        "岳父": Relation.parent,
        "岳母": Relation.parent,
        "祖父": Relation.grandparent,
        "祖母": Relation.grandparent,
        "外祖父": Relation.grandparent,
        "外祖母": Relation.grandparent,
        "兄": Relation.sibling,
        "弟": Relation.sibling,
        "姐": Relation.sibling,
        "妹": Relation.sibling,
        "兄弟": Relation.sibling,
        "姐妹": Relation.sibling,
        "其他": Relation.other,
    }
)


def relation_of(text: str) -> Relation | None:
    """之子 → child: the national system writes relations as 之子, 之女, 之孙子…"""
    text = text.removeprefix("之")
    return RELATION_BY_NAME.get(text)


# A sheet says the same few words on every row: each word read once, here and in
# schooling_of and labour_of (py-spy: their scans were a twentieth of reading a member).
@lru_cache(maxsize=1024)
def health_of(text: str) -> Health | None:
    """健康; 长期慢性病; 患有大病; 残疾 — or a mix (长期慢性病,残疾): the gravest is kept,
    as the rules read it."""
    if text in HEALTH_NAMES.values():
        return next(h for h, n in HEALTH_NAMES.items() if n == text)
    if "残" in text:
        return Health.disabled
    if "大病" in text or "重病" in text:
        return Health.serious_illness
    if "慢性病" in text:
        return Health.chronic
    if text in {"健康", "良好", "正常"}:
        return Health.healthy
    return None


_SCHOOL_WORDS = (
    (("非在校", "不在校", "未上学", "失学", "辍学", "毕业", "无"), Schooling.not_in_school),
    (("学前", "幼儿园"), Schooling.preschool),
    (("小学", "一年级", "二年级", "三年级", "四年级", "五年级", "六年级"), Schooling.primary),
    (("初中", "七年级", "八年级", "九年级"), Schooling.junior_secondary),
    (("中职", "高职", "中专", "技校", "职业"), Schooling.vocational),
    (("高中",), Schooling.senior_secondary),
    (("大学", "本科", "专科", "大专", "研究生", "硕士", "博士"), Schooling.higher),
)


@lru_cache(maxsize=1024)
def schooling_of(text: str) -> Schooling | None:
    for value, name in SCHOOLING_NAMES.items():
        if text == name:
            return value
    for words, value in _SCHOOL_WORDS:
        if any(w in text for w in words):
            return value
    return None


@lru_cache(maxsize=1024)
def labour_of(text: str) -> Labour | None:
    """普通劳动力 / 技能劳动力 → full; 弱劳动力或半劳动力 → partial; 丧失劳动力 / 无劳动力 → none."""
    if "丧失" in text or "无劳动" in text:
        return Labour.none
    if "弱" in text or "半" in text:
        return Labour.partial
    if "劳动力" in text or "技能" in text:
        return Labour.full
    return None


RISK_BY_NAME = {name: r for r, name in RISK_NAMES.items()}
RISK_BY_NAME.update(
    {
        "因病": RiskType.illness,
        "因学": RiskType.schooling,
        "因残": RiskType.disability,
        "因灾": RiskType.disaster,
        "因意外": RiskType.accident,
        "因意外事故": RiskType.accident,
        "因务工就业不稳": RiskType.unstable_employment,
        "因就业": RiskType.unstable_employment,
        "因产业项目失败": RiskType.failed_business,
        "因产业": RiskType.failed_business,
        "住房出现安全问题": RiskType.housing,
        "住房安全": RiskType.housing,
        "饮水安全问题": RiskType.drinking_water,
        "饮水安全": RiskType.drinking_water,
        "其他": RiskType.other,
    }
)


def risks_of(text: str) -> tuple[list[RiskType], list[str]]:
    """因病、因学 (or 因病,因学 / 因病，因学 / 因病;因学): the risk types, and the words not understood."""
    found: list[RiskType] = []
    unknown: list[str] = []
    for word in re.split(r"[、,，;；/\s]+", text):
        if not word:
            continue
        risk = RISK_BY_NAME.get(word) or RISK_BY_NAME.get(word.removesuffix("风险"))
        if risk is None:
            unknown.append(word)
        elif risk not in found:
            found.append(risk)
    return found, unknown
