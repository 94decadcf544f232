"""The demo's first step: the area tree, income lines, one account per role, and eight
households in each village, some of them monitored with a plan and a measure."""

import random
from datetime import date, timedelta

from sqlmodel import Session

from backend.accounts import service as accounts_service
from backend.accounts.models import Role
from backend.accounts.schemas import UserCreate
from backend.areas import service as areas_service
from backend.core import clock
from backend.demo.context import (
    AREAS_CSV,
    DEMO_PASSWORD,
    VILLAGE_HELPER,
    VILLAGES,
    DemoContext,
    make_id_number,
)
from backend.households import plans, workflow
from backend.households import service as households_service
from backend.households.models import (
    Household,
    MeasureKind,
    MeasureStatus,
    MonitoringStatus,
    MonitoringType,
    RiskType,
)
from backend.households.schemas import (
    BasicNeeds,
    HouseholdCreate,
    IncomeCreate,
    MeasureCreate,
    MemberCreate,
    PlanInput,
)

# username, full name, role, area, unit, phone
USERS = [
    ("admin", "系统管理员", Role.admin, None, "守望运维", None),
    ("huining_county", "马建国", Role.county_officer, "620422", "会宁县乡村振兴局", "13909430001"),
    ("ningshan_county", "杜明文", Role.county_officer, "610923", "宁陕县乡村振兴局", "13909150001"),
    (
        "mingguang_county",
        "彭志强",
        Role.county_officer,
        "341182",
        "明光市乡村振兴局",
        "13905500001",
    ),
    (
        "huishi_town",
        "张桂兰",
        Role.township_officer,
        "620422100",
        "会师镇乡村振兴工作站",
        "13909430002",
    ),
    (
        "guocheng_town",
        "王永刚",
        Role.township_officer,
        "620422101",
        "郭城驿镇乡村振兴工作站",
        "13909430003",
    ),
    (
        "jiangkou_town",
        "李东晋",
        Role.township_officer,
        "610923102",
        "江口回族镇人民政府",
        "13909150002",
    ),
    (
        "siyudi_town",
        "陈秀英",
        Role.township_officer,
        "610923101",
        "四亩地镇人民政府",
        "13909150003",
    ),
    (
        "nvshanhu_town",
        "彭文俊",
        Role.township_officer,
        "341182108",
        "女山湖镇人民政府",
        "13905500002",
    ),
    (
        "lengshuigou_cadre",
        "何德福",
        Role.village_cadre,
        VILLAGES["lengshuigou"],
        "冷水沟村委会",
        "13909150011",
    ),
    (
        "yanjiaping_cadre",
        "严正华",
        Role.village_cadre,
        VILLAGES["yanjiaping"],
        "严家坪村委会",
        "13909150012",
    ),
    (
        "shannan_cadre",
        "周德胜",
        Role.village_cadre,
        VILLAGES["shannan"],
        "山南村委会",
        "13905500011",
    ),
    (
        "gaojiazhuang_cadre",
        "高宏伟",
        Role.village_cadre,
        VILLAGES["gaojiazhuang"],
        "高家庄村委会",
        "13909430011",
    ),
    (
        "nanshilipu_cadre",
        "南振东",
        Role.village_cadre,
        VILLAGES["nanshilipu"],
        "南十里铺村委会",
        "13909430012",
    ),
    (
        "hongbaozi_cadre",
        "柴玉梅",
        Role.village_cadre,
        VILLAGES["hongbaozi"],
        "红堡子村委会",
        "13909430013",
    ),
    (
        "lengshuigou_grid",
        "刘小燕",
        Role.grid_worker,
        VILLAGES["lengshuigou"],
        "冷水沟村网格",
        "13909150021",
    ),
    ("helper_li", "李春生", Role.helper, "610923", "宁陕县自然资源局", "13909150031"),
    ("helper_yan", "吴丽娟", Role.helper, "610923", "宁陕县教体局", "13909150032"),
    ("helper_wang", "王海燕", Role.helper, "620422", "会宁县农业农村局", "13909430031"),
    ("helper_zhang", "张立新", Role.helper, "341182", "明光市国土局", "13905500031"),
    ("inspector_huining", "赵振华", Role.inspector, "620422", "会宁县委农办督查组", "13909430041"),
    ("inspector_ningshan", "孙晓明", Role.inspector, "610923", "宁陕县脱贫办督查组", "13909150041"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢柴严"
GIVEN = "建国秀英桂兰玉梅春生志强海燕丽娟永刚德福正华宏伟振东小燕立新明文东晋文俊红霞金花长林福生国强秀珍淑芬德明学军"

# Monitoring income lines used by the demo only. Set each province's published figure
# before relying on clear-risk decisions.
DEMO_LINES = {2023: 7000, 2024: 7300, 2025: 7600, 2026: 7900}


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.sample(GIVEN, 2))


def _birth(rng: random.Random, age: int) -> date:
    today = clock.today()
    return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


def _changed(member: MemberCreate, **changes: str) -> MemberCreate:
    # Validated again, so the strings become the enums (model_copy would keep the bare
    # strings, which pydantic then warns about when the member is serialized).
    return MemberCreate.model_validate(member.model_dump() | changes)


def _family(rng: random.Random, region: str, kind: str) -> list[MemberCreate]:
    surname = rng.choice(SURNAMES)
    head_age = rng.randint(38, 72)
    members = []

    def add(relation: str, age: int, male: bool, **kw: str) -> None:
        born = _birth(rng, age)
        members.append(
            MemberCreate(
                name=_name(rng, surname if relation != "spouse" else None),
                relation=relation,
                id_number=make_id_number(rng, region, born, male),
                **kw,
            )
        )

    add("head", head_age, True, employment="farming" if head_age > 55 else "migrant_work")
    add("spouse", head_age - rng.randint(0, 4), False, employment="farming")
    if kind == "schooling":
        for age, stage in ((15, "junior_secondary"), (12, "primary"), (9, "primary")):
            add("child", age, rng.random() < 0.5, schooling=stage, labour="none")
    elif kind == "illness":
        members[0] = _changed(members[0], health="serious_illness", labour="partial")
        add("child", rng.randint(17, 24), True, employment="migrant_work")
    elif kind == "elderly":
        members[0] = _changed(members[0], labour="none", employment="not_employed")
        members[1] = _changed(members[1], health="chronic", labour="none")
    else:
        if head_age < 60:
            add("child", rng.randint(6, 16), rng.random() < 0.5, schooling="primary", labour="none")
        if rng.random() < 0.4:
            add("parent", head_age + rng.randint(22, 28), True, labour="none", health="chronic")
    return members


def _incomes(rng: random.Random, size: int, low: bool) -> list[IncomeCreate]:
    year = clock.today().year
    out = []
    base = rng.randint(5200, 7200) if low else rng.randint(9000, 16000)
    for offset in (2, 1):
        per_capita = base + (offset == 1) * rng.randint(200, 900)
        wage = int(per_capita * size * 0.55)
        business = int(per_capita * size * 0.3)
        transfer = int(per_capita * size * 0.2)
        cost = wage + business + transfer - per_capita * size
        out.append(
            IncomeCreate(
                year=year - offset,
                wage=wage,
                business=business,
                property=0,
                transfer=transfer,
                business_cost=max(cost, 0),
                household_size=size,
            )
        )
    return out


# Which risks each kind of demo household was enrolled for, and the measure that answers them.
RISKS = {
    "schooling": [RiskType.schooling],
    "illness": [RiskType.illness],
    "elderly": [RiskType.illness, RiskType.other],
    "cleared": [RiskType.unstable_employment],
}
MEASURES = {
    "schooling": (MeasureKind.education, "雨露计划及义务教育阶段资助"),
    "illness": (MeasureKind.medical, "大病救助、慢病卡办理,家庭医生签约"),
    "elderly": (MeasureKind.dibao, "纳入整户低保"),
    "cleared": (MeasureKind.employment, "推荐县内企业稳定务工,发放交通补助"),
}
# The eight households of every village, by kind.
KINDS = ["schooling", "illness", "plain", "elderly", "plain", "cleared", "plain", "plain"]


def _accounts(*, session: Session, ctx: DemoContext) -> None:
    for username, full_name, role, area, unit, phone in USERS:
        user = accounts_service.by_username(session=session, username=username)
        if user is None:
            user = accounts_service.create(
                session=session,
                data=UserCreate(
                    username=username,
                    full_name=full_name,
                    role=role,
                    area_code=area,
                    unit=unit,
                    phone=phone,
                    password=DEMO_PASSWORD,
                ),
                actor=None,
            )
        ctx.users[username] = user


def _monitor(
    *, session: Session, ctx: DemoContext, household: Household, kind: str, lifted: bool, key: str
) -> None:
    """Enrol the household some months ago, with a plan and one measure carried out; the
    "cleared" kind's risk was cleared 200 days after."""
    enrolled = clock.today() - timedelta(days=ctx.rng.randint(200, 700))
    workflow.enroll(
        session=session,
        household=household,
        monitoring_type=MonitoringType.unstable_lifted if lifted else MonitoringType.marginal,
        risk_types=RISKS[kind],
        actor=None,
        enrolled_on=enrolled,
        reason="演示数据",
    )
    cadre = ctx.users[f"{key}_cadre"]
    kind_of_measure, description = MEASURES[kind]
    plans.add_measure(
        session=session,
        household=household,
        data=MeasureCreate(
            kind=kind_of_measure,
            description=description,
            start_on=enrolled + timedelta(days=20),
            status=MeasureStatus.in_progress,
            amount=3000,
            carried_out_by="帮扶责任人",
        ),
        actor=cadre,
    )
    plans.put(
        session=session,
        household=household,
        data=PlanInput(summary=f"针对{description[:6]}等问题,落实{description}。"),
        actor=cadre,
    )
    if kind == "cleared":
        # Set on the record, not through clear_risk: the story dates the clearance, and
        # clear_risk would judge it on today's facts (this year's income line, ages).
        household.monitoring_status = MonitoringStatus.risk_cleared
        household.risk_cleared_on = enrolled + timedelta(days=200)
        session.add(household)


def _households(*, session: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    for key, village in VILLAGES.items():
        helper = ctx.users[VILLAGE_HELPER[key]]
        ctx.households[key] = []
        for i, kind in enumerate(KINDS):
            members = _family(rng, village[:6], kind)
            lifted = kind != "plain" or i % 2 == 0
            household = households_service.create(
                session=session,
                data=HouseholdCreate(
                    area_code=village,
                    address=f"{rng.randint(1, 9)}组{rng.randint(1, 60)}号",
                    phone=f"139{rng.randint(10000000, 99999999)}",
                    category="lifted" if lifted else "ordinary",
                    helper_id=helper.id if lifted or kind != "plain" else None,
                    basic_needs=BasicNeeds(medical=kind != "illness"),
                    members=members,
                    # Demo families stand for households registered years ago.
                    registered_on=clock.today() - timedelta(days=800),
                    incomes=_incomes(
                        rng, len(members), low=kind in ("schooling", "illness", "elderly")
                    ),
                ),
                actor=None,
            )
            ctx.households[key].append(household)
            if kind in RISKS:
                _monitor(
                    session=session, ctx=ctx, household=household, kind=kind, lifted=lifted, key=key
                )


def seed(*, session: Session, ctx: DemoContext) -> None:
    """Areas, the demo's income lines, accounts and households, into `ctx`."""
    areas_service.import_csv(session=session, file=AREAS_CSV)
    for province in ("62", "61", "34"):
        for year, amount in DEMO_LINES.items():
            workflow.add_line(
                session=session, province_code=province, year=year, amount=amount, basis="演示数据"
            )
    _accounts(session=session, ctx=ctx)
    _households(session=session, ctx=ctx)
