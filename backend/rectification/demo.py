"""Demo problem lists: seed 000's four problems issued to 会宁县会师镇 in various states, a
cross-check list with overdue problems so the red and black boards have content."""

import io
from datetime import UTC, date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlmodel import Session

from backend.accounts.models import User
from backend.core import clock
from backend.demo.context import DemoContext
from backend.files import service as files_service
from backend.rectification import batches, copies, records, service, workflow
from backend.rectification.models import Problem, ProblemBatch
from backend.rectification.schemas import (
    BatchCreate,
    ClaimInput,
    CloseInput,
    CopyInput,
    EvidenceCreate,
    NoteCreate,
    ProblemCreate,
    ReturnInput,
)

HUISHI = "620422100"
GAOJIAZHUANG = "620422100200"
NANSHILIPU = "620422100201"
HONGBAOZI = "620422101200"

# Seed 000, problem by problem: title and description as the inspectors wrote them, the
# township's measures (one step each) and what had been achieved (a progress note).
SEED_000_PROBLEMS = [
    {
        "title": "思想认识和责任落实上明显松劲懈怠",
        "description": "在传导压力、靠实责任上出现“上热中温下凉”现象,有的市县部分新任领导干部对有效衔接工作政策不清楚,党政“一把手”调度不够、推动不力、压力传导不够,没有把主要精力放在抓巩固成果上,学习政策不深、研究工作不透、指导落实不力。行业部门抓“三保障”和饮水安全底线性任务的劲头有所松懈,一些县区行业部门主要负责人对本行业本领域巩固成果底数不清、情况不明、指导不到位。部分乡村和驻村干部对村情户情不熟悉,到户政策宣传不够,开展帮扶工作缺乏精准性,说不清防返贫监测帮扶政策、巩固成果重点内容和工作对象等。",
        "category": "responsibility",
        "steps": [
            "加强业务培训,厚实理论功底。在周例会、镇村干部会议等常态化开展学习巩固拓展脱贫攻坚成果同乡村振兴有效衔接重要论述和中央、省市县委乡村振兴决策部署,重点围绕重点“巩固拓展脱贫攻坚成果重点任务清单”、“巩固拓展脱贫攻坚成果同乡村振兴有效衔接帮扶工作100问”等防返贫监测相关政策进行解读学习,对照巩固拓展脱贫攻坚成果工作“七个重点”和各级各类反馈问题整改情况进行检视,扎扎实实补短板、强弱项。",
            "加强宣传力度,提高政策知晓率。以“岗位大练兵、业务大比武”活动开展为契机,组织镇村干部、驻村工作队员围绕脱贫户、“三类户”基本信息和政策掌握情况进行“比武练兵”,找出差距,找出学习政策中存在问题,以练带训,切实提高镇村干部和驻村干部对政策的理解程度。同时,组织包村干部、村“两委”和驻村干部定期进村入户宣讲各类政策,重点对“一键报贫”“两免一补”、大病医疗救助、低保标准等政策进行宣讲解读,对脱贫户和监测对象发放政策明白纸,切实提高政策知晓率。",
        ],
        "note": "全镇累计召开党委(扩大)会议、巩固拓展脱贫攻坚成果同乡村振兴有效衔接专题会议6次,开展“村内练”81场次,“镇内比”3场次,集中入户宣传3场次,发放政策明白纸2000余份。",
        "completion": "已完成整改并长期坚持。",
    },
    {
        "title": "防止返贫监测和帮扶工作还不够扎实",
        "description": '一是政策宣传还不到位,部分群众对“一键报贫”知晓率不高,操作不熟悉。走访的个别村2023年5月份才对“一键报贫”相关工作进行安排和培训,个别乡镇和村通过"一键报贫"仅申报了1-2户,远低于全省平均水平。二是监测工作落实还不到位。基层干部对防止返贫监测帮扶政策理解还有偏差,对一些因病因学家庭负担较重的农户关注不够,有的仅给予单人低保或临时救助等,没有及时识别纳入监测帮扶范围,存在“应纳未纳”和“体外循环”现象。部分村2020年以后再没有新识别纳入监测对象。个别农户家庭因病因学支出较大,生活负担较重,由于不是脱贫户和监测户,不能享受产业就业等更多帮扶政策。三是帮扶措施针对性不强。个别监测户“一户一策”制定不精准,针对性不强,帮扶措施单一,帮扶效果不明显。实地调查的49户监测户,有3户帮扶措施针对性不强,占比6.1%。个别监测户2022年10月因户主受伤纳入监测范围,家庭收入来源单一,因学支出较大,除整户三类低保外,再无其他针对性帮扶措施。四是风险消除不精准。实地调查的49户监测户,有6户风险消除不精准,占比12.2%。从入户调查情况看,有的因残、因病、因学等纳入监测,截至调研时实际风险仍未消除,但已标注风险消除。个别监测户2019年9月因学纳入监测,目前3个孩子还在上学,但2020年6月已标注风险消除。个别村2019年识别纳入6户,截至调研时均未消除风险,存在“应消未消”现象。五是兜底保障作用发挥不足。个别县调查的2个村享受低保政策的59户农户,有28户为单人保,对一些有大病患者的农户没有综合考虑家庭支出和负担,只有患者本人享受二类低保。一些因病因学家庭生活困难的家庭才能享受整户三类低保,执行低保政策没有结合家庭实际情况。',
        "category": "monitoring",
        "steps": [
            "动态监测预警,筑牢返贫防线。开展“一键报贫”宣传活动,组织镇村干部和驻村工作队员进村入户发放《防止返贫监测对象申报政策明白纸》,现场手把手示范操作流程,畅通农户自主申报渠道;按照“六必查”“六必访”原则,组织镇村干部定期走访重点人群;认真核查行业部门反馈各类预警信息,对存在返贫致贫风险农户第一时间落实监测帮扶。",
            "精准施策帮扶,夯实帮扶成效。按照“因户施策、务实管用”的原则,对全镇23户风险未消除监测对象和2户新识别突发严重困难户及时制定“一户一策”帮扶计划,针对性落实开发式帮扶措施。",
            "严把风险消除,实现应消尽消。严格按照风险“七不消”要求,对全镇25户风险未消除监测对象和53户风险消除监测对象进行“回头看”,对标退出标准和程序,做到“应消尽消”。",
        ],
        "note": "全镇新识别纳入监测对象5户20人,53户249人标注消除风险,风险消除率为67.95%,排查各类预警信息70条,“一键报贫”系统农户自主申报20户。",
        "completion": "已完成整改并长期坚持。",
    },
    {
        "title": "人居环境还需持续改善",
        "description": "一是村容村貌不够整洁。有的村存在柴草、牲畜粪便乱堆乱放现象,村容村貌还需大力整治,有的户内人居环境还需改善提升。二是卫生厕所存在季节性使用等现象。有的县改造的水冲式厕所,部分存在季节性使用现象,部分建而未用。有的村委会厕所脏乱差,没有发挥示范作用。",
        "category": "living_environment",
        "steps": [
            "以势借力,多方联动,推动落实。以学习浙江“千万工程”经验为契机,以“领导包村、干部包组、发动群众、组建队伍、点上突破、以点带面”为原则,探索推行“243”人居环境工作法(“2”项基础立先行、“4”项制度促落实、“3”项行动强推进),扎实推进农村人居环境集中整治行动。",
            "聚焦重点,创新举措,齐抓共管。靠实责任,分阶段、抓重难点,组织镇机关干部联合镇属各单位、村社等整治力量,分头开展人居环境综合整治各项工作,重点整治镇区内占用道路、公共场所乱摆卖、乱堆放、乱张贴、乱拉挂、乱停放、乱搭建、乱设广告牌等现象,对历年改厕农户进行“回头看”,对没有使用卫生厕所的农户,发现一户劝导一户,对户厕存在问题的第一时间整改到位,确保能正常使用,切实提高卫生厕所使用率",
            "以点连线,同频共振,全民参与。包村组长、驻村工作队、村“两委”主动谋划,按照点面结合、轴线推进的思路,通过政策宣讲会、印发宣传彩页、拉挂横幅、大力宣传人居环境改善、“厕所革命”的重要意义,入户走访发动群众广泛参与农村人居环境整治志愿服务活动。同时制定包联计划,建立人居环境整改台账和卫生厕所改造台账,向每户居民发出“人居环境改善”倡议书,以家庭为单位做好自家房前屋后卫生保洁,养成良好的卫生习惯,相互协作使人居环境整治工作入耳、入脑、入心。",
        ],
        "note": "全镇共动员各类清运车辆210台次,投入劳动力560人次,清理各类垃圾94吨,拆除广告牌匾23个,新建卫生厕所110座。",
        "completion": "已整改,取得阶段性成效并持续推进。",
    },
    {
        "title": "台账资料整理不够规范",
        "description": "有的村级资料台账中还存在“精准扶贫”“精准脱贫”“贫困户”等表述。个别村防返贫监测识别消除风险等程序性资料不完整。个别农户2023年3月测算的分项收入与2022年收入完全一样。有的村2023年村级台账资料缺项较多,有的村2022年10月以后基本上没有更新整理台账,不能完全印证和反映巩固成果的过程和成效。",
        "category": "records",
        "steps": [
            "开展自查自纠,完善台账资料。结合县级巩固拓展脱贫攻坚成果同乡村振兴有效衔接重点工作调研督查反馈问题清单,由镇乡村振兴工作站牵头,组织各村开展村户档案资料交叉演练,对照《巩固拓展脱贫攻坚成果重点任务清单》和《会宁县巩固拓展脱贫攻坚成果户内档案资料目录》要求,开展全镇村户档案建设自查自纠工作,及时更新完善相关台账资料,严格按照“三落实一巩固”整理归档,确保各项资料填写规范、数据精准、逻辑合理、内容完善,程序规整。",
            "加强督导检查,实现“四个一致”。由镇党委副书记带队对9个行政村村户台账资料完善情况、入户走访情况、当前重点工作开展情况和对全县巩固拓展脱贫攻坚成果同乡村振兴有效衔接重点工作调研督查反馈问题整改情况进行督查做到防贫监测系统数据与村户实际情况、系统收入数据与农户收入测算表、涉及行业部门的相关统计数据与行业部门提供的印证资料、农户反映的情况与户内资料“四个一致”。",
        ],
        "note": "开展村级村户资料交叉演练1次,9个行政村村户资料及时运转更新,并严格按照“三落实一巩固”完成整理归档。",
        "completion": "已完成整改并长期坚持。",
    },
]


def _at(day: date, hour: int = 10) -> None:
    """Demo actions happen on the days the story says, not on the day the demo loads."""
    clock.freeze(datetime.combine(day, time(hour - 8), tzinfo=UTC))


def _photo(text: str, color: tuple[int, int, int]) -> bytes:
    img = Image.new("RGB", (640, 480), color)
    ImageDraw.Draw(img).text((20, 20), text, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _evidence_all(
    session: Session,
    problem: Problem,
    who: User,
    *,
    photo_first: bool = True,
    skip_last: bool = False,
) -> None:
    steps = records.steps_of(session=session, problem_id=problem.id)
    for i, step in enumerate(steps[:-1] if skip_last else steps):
        if i == 0 and photo_first:
            stored = files_service.store(
                session=session,
                data=_photo(f"step {step.position}", (40 + 50 * i, 90, 60)),
                area_code=problem.area_code,
                uploaded_by=who.id,
                original_name=f"措施{step.position}现场照片.jpg",
            )
            body = EvidenceCreate(kind="file", file_id=stored.id)
        else:
            body = EvidenceCreate(kind="text", text=f"会议记录及签到表已归档(措施{step.position})")
        workflow.add_evidence(
            session=session, problem=problem, step_id=step.id, data=body, actor=who
        )


def _issue(session: Session, batch: ProblemBatch, who: User, **kw) -> Problem:  # type: ignore[no-untyped-def]
    return service.add_problem(session=session, batch=batch, data=ProblemCreate(**kw), actor=who)


def _note(session: Session, problem: Problem, who: User, text: str) -> None:
    workflow.add_note(session=session, problem=problem, data=NoteCreate(text=text), actor=who)


def _return(session: Session, problem: Problem, who: User, reason: str) -> None:
    workflow.return_(session=session, problem=problem, data=ReturnInput(reason=reason), actor=who)


def seed(*, session: Session, ctx: DemoContext) -> None:
    users = ctx.users
    inspector, county = users["inspector_huining"], users["huining_county"]
    town, cadre, other = (
        users["huishi_town"],
        users["gaojiazhuang_cadre"],
        users["nanshilipu_cadre"],
    )
    guocheng, hongbaozi = users["guocheng_town"], users["hongbaozi_cadre"]
    today = clock.today()
    start = today - timedelta(days=40)
    try:
        _seed_000(session, start, today, inspector, town, cadre, other)
        _cross_check(session, today, county, inspector, town, cadre, other, guocheng, hongbaozi)
    finally:
        clock.freeze(None)


def _seed_000(session, start, today, inspector, town, cadre, other) -> None:  # type: ignore[no-untyped-def]
    _at(start)
    batch = batches.create_batch(
        session=session,
        data=BatchCreate(
            source="inspection",
            area_code=HUISHI,
            title="巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题",
            issuing_body="中共白银市委农村工作领导小组办公室",
            notice_title="关于巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题的通报",
            document_number=f"市农领办发〔{start.year}〕38号",
            issued_on=start,
            deadline=today + timedelta(days=20),
            report_to="县委农村工作领导小组办公室",
            reporting_unit="会师镇党委、政府",
        ),
        actor=inspector,
    )
    # Township-wide problems sit with the township; the others with the village they name.
    where = [(HUISHI, town), (GAOJIAZHUANG, cadre), (NANSHILIPU, other), (HUISHI, town)]
    problems = []
    for seed_problem, (area, who) in zip(SEED_000_PROBLEMS, where, strict=True):
        problems.append(
            _issue(
                session,
                batch,
                inspector,
                title=seed_problem["title"],
                description=seed_problem["description"],
                category=seed_problem["category"],
                area_code=area,
                responsible_unit=who.unit or "",
                responsible_person=who.full_name,
                severity="serious" if seed_problem["category"] == "monitoring" else "general",
            )
        )
    _at(start + timedelta(days=2))
    for problem, seed_problem, (_, who) in zip(problems, SEED_000_PROBLEMS, where, strict=True):
        workflow.claim(
            session=session,
            problem=problem,
            data=ClaimInput(steps=seed_problem["steps"]),
            actor=who,
        )
    _at(start + timedelta(days=15))
    for problem, seed_problem, (_, who) in zip(problems, SEED_000_PROBLEMS, where, strict=True):
        _note(session, problem, who, seed_problem["note"])
    p1, p2, p3, p4 = problems
    # 1: closed and kept under watch.  2: waiting for review.  3: in progress, one step
    # without evidence yet.  4: returned once for missing records, being redone.
    _evidence_all(session, p1, town)
    _evidence_all(session, p2, cadre)
    _evidence_all(session, p3, other, skip_last=True)
    _evidence_all(session, p4, town)
    _at(start + timedelta(days=20))
    for p, who in ((p1, town), (p2, cadre), (p4, town)):
        workflow.submit_for_closure(session=session, problem=p, actor=who)
    _at(start + timedelta(days=22))
    workflow.close(
        session=session,
        problem=p1,
        data=CloseInput(
            note="培训、宣传记录齐全", ongoing=True, next_review_on=today + timedelta(days=60)
        ),
        actor=inspector,
    )
    _return(session, p4, inspector, "缺少村户资料交叉演练的记录和照片,请补充后再申请销号")
    # 举一反三: the village environment problem is checked in 高家庄村 too.
    copies.copy_to_villages(
        session=session,
        problem=p3,
        data=CopyInput(area_codes=[GAOJIAZHUANG], responsible_unit="高家庄村委会"),
        actor=town,
    )


def _cross_check_specs(
    *, cadre: User, guocheng: User, hongbaozi: User
) -> list[tuple[str, str, str, User | None, str]]:
    """The cross-check's problems: (title, category, area, who claims it, description)."""
    return [
        (
            "因学家庭未及时识别纳入监测",
            "monitoring",
            GAOJIAZHUANG,
            cadre,
            "有1户3个孩子在校、支出较大,未纳入监测。",
        ),
        (
            "监测户收入测算与上年完全一样",
            "income",
            GAOJIAZHUANG,
            cadre,
            "个别农户分项收入照抄上年数据。",
        ),
        ("帮扶责任人未按月走访", "village_team", NANSHILIPU, None, "3户监测户近两个月无走访记录。"),
        (
            "村委会卫生厕所脏乱差",
            "living_environment",
            NANSHILIPU,
            None,
            "村委会厕所没有发挥示范作用。",
        ),
        (
            "一键报贫政策知晓率不高",
            "policy",
            HONGBAOZI,
            hongbaozi,
            "走访的农户多数不知道一键报贫。",
        ),
        (
            "监测对象风险消除程序性资料不完整",
            "records",
            "620422101",
            guocheng,
            "民主评议和公示记录缺失。",
        ),
    ]


def _cross_check(
    session, today, county, inspector, town, cadre, other, guocheng, hongbaozi
) -> None:  # type: ignore[no-untyped-def]
    issued = today - timedelta(days=50)
    deadline = today - timedelta(days=14)
    _at(issued)
    batch = batches.create_batch(
        session=session,
        data=BatchCreate(
            source="cross_check",
            area_code="620422",
            title="防止返贫动态监测和帮扶工作交叉检查发现问题",
            issuing_body="会宁县委农村工作领导小组办公室",
            document_number=f"会农领办发〔{issued.year}〕12号",
            issued_on=issued,
            deadline=deadline,
            report_to="县委农村工作领导小组",
            reporting_unit="会宁县乡村振兴局",
        ),
        actor=county,
    )
    specs = _cross_check_specs(cadre=cadre, guocheng=guocheng, hongbaozi=hongbaozi)
    problems = [
        _issue(
            session,
            batch,
            county,
            title=title,
            description=description,
            category=category,
            area_code=area,
            responsible_unit=(who.unit if who else {NANSHILIPU: "南十里铺村委会"}[area]) or "",
            responsible_person=who.full_name if who else "",
            deadline=deadline,
        )
        for title, category, area, who, description in specs
    ]
    _at(issued + timedelta(days=3))
    for problem, (_, _, _, who, _) in zip(problems, specs, strict=True):
        if who is not None:
            workflow.claim(
                session=session,
                problem=problem,
                data=ClaimInput(steps=["逐户排查核实", "整改到位并归档印证资料"]),
                actor=who,
            )
    _at(issued + timedelta(days=20))
    # On time, closed at the first review: 红堡子村 and 郭城驿镇.
    for problem, who in ((problems[4], hongbaozi), (problems[5], guocheng)):
        _evidence_all(session, problem, who)
        workflow.submit_for_closure(session=session, problem=problem, actor=who)
        workflow.close(session=session, problem=problem, data=CloseInput(), actor=inspector)
    # 高家庄村 started but never finished; 南十里铺村 never claimed: both overdue now.
    _note(session, problems[0], cadre, "已入户核实,正在准备纳入监测的材料")
    # Handed in after the deadline, returned once, then closed: late and returned.
    _at(deadline + timedelta(days=3))
    _evidence_all(session, problems[1], cadre)
    workflow.submit_for_closure(session=session, problem=problems[1], actor=cadre)
    _return(session, problems[1], town, "收入测算表未附农户签字")
    _at(deadline + timedelta(days=6))
    _note(session, problems[1], cadre, "已补齐农户签字的收入测算表")
    workflow.submit_for_closure(session=session, problem=problems[1], actor=cadre)
    workflow.close(session=session, problem=problems[1], data=CloseInput(), actor=town)
