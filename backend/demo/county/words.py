"""The county's numbers and words: shares, rates, names, units and texts."""

COUNTY = "620422"  # 甘肃省白银市会宁县
PROVINCE = "62"
PASSWORD = "Shouwang2026!"  # the demo's: a person can log in to the bench county too
VILLAGES_MAX = 300
HOUSEHOLDS_PER_VILLAGE_MIN = 100
# The helper whose phone list the benchmark reads (my-households for 200 households).
BIG_HELPER_HOUSEHOLDS = 200
# Shares of the county, chosen to look like a county of the 2023 inspection reports.
LIFTED_SHARE = 0.42
MONITORED_SHARE = {"lifted": 0.10, "ordinary": 0.05}
CLEARED_SHARE = {"lifted": 0.06, "ordinary": 0.03}
HELPER_VISIT_MONTHLY = 0.9  # a helper's monthly visit to a household owed one
SECOND_VISIT_MONTHLY = 0.1  # a village cadre or grid worker also comes by
VILLAGE_VISIT_MONTHLY = 0.7  # households with no helper: the grid worker's round
PASTING_HELPERS = 0.08  # helpers who write one text for every household of the month
REPORTS_PER_HOUSEHOLD = 0.05
PROBLEMS_PER_HOUSEHOLD = 0.02
MONTHS = 12
CHUNK_ROWS = 50_000
SQLITE_CACHE_KB = 1_500_000
# Bumped when the generator's output changes, so a cached county is built again.
VERSION = 1

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢柴严"
GIVEN = (
    "建国秀英桂兰玉梅春生志强海燕丽娟永刚德福正华宏伟振东小燕立新明文东晋文俊红霞金花长林福生国强秀珍淑芬德明学军"
    "有才天宝玉兰翠花喜梅彦平文斌世杰兴旺成军爱琴瑞霞永红"
)
COUNTY_UNITS = (
    "会宁县农业农村局",
    "会宁县教育局",
    "会宁县卫生健康局",
    "会宁县自然资源局",
    "会宁县人力资源和社会保障局",
    "会宁县民政局",
    "会宁县交通运输局",
    "会宁县水务局",
    "会宁县住房和城乡建设局",
    "会宁县财政局",
    "会宁县林业和草原局",
    "会宁县市场监督管理局",
)
RISK_WEIGHTS = {
    "illness": 35,
    "schooling": 15,
    "disability": 12,
    "unstable_employment": 15,
    "disaster": 5,
    "accident": 5,
    "failed_business": 5,
    "housing": 3,
    "drinking_water": 1,
    "other": 4,
}
MEASURES = {
    "illness": ("medical", "落实大病救助和慢病卡,家庭医生签约服务"),
    "schooling": ("education", "落实雨露计划和义务教育阶段资助"),
    "disability": ("dibao", "纳入低保,落实残疾人两项补贴"),
    "unstable_employment": ("employment", "推荐县内企业稳定务工,发放交通补助"),
    "disaster": ("insurance", "落实农业保险理赔和临时救助"),
    "accident": ("other", "落实临时救助和意外伤害保险理赔"),
    "failed_business": ("industry", "发放产业奖补资金,落实小额信贷"),
    "housing": ("housing", "实施危房改造"),
    "drinking_water": ("drinking_water", "安装自来水入户"),
    "other": ("public_welfare_job", "安排公益性岗位"),
}
NOTE_OPENINGS = (
    "入户了解家庭生产生活情况",
    "与户主拉家常,了解近期收支",
    "查看住房和饮水安全情况",
    "宣传一键报贫和医保政策",
    "了解务工人员就业情况",
    "核对家庭成员和收入信息",
)
NOTE_DETAILS = (
    "家中{n}口人,{head}身体尚可",
    "{head}说今年庄稼长势不错",
    "孩子在外务工,每月寄回生活费",
    "老人慢病用药已按时报销",
    "养羊{k}只,准备年底出栏",
    "种植马铃薯{k}亩,长势良好",
    "家中自来水正常,住房安全",
    "已提醒按时缴纳医保",
)
PASTED_TEXTS = (
    "该户两不愁三保障及饮水安全均有保障,家庭收入稳定,无返贫风险,帮扶措施落实到位。",
    "经入户走访,该户生产生活正常,政策知晓率高,对帮扶工作满意,无新增风险。",
    "宣传了各项惠民政策,了解了家庭收入情况,督促搞好室内外卫生,户主表示满意。",
)
HELP_GIVEN = (
    "",
    "",
    "宣讲政策",
    "协助办理慢病卡",
    "联系务工岗位",
    "帮助申请临时救助",
    "送去米面油",
)
PROBLEM_TITLES = (
    ("monitoring", "因病因学支出较大农户未及时纳入监测"),
    ("monitoring", "监测对象一户一策帮扶措施单一"),
    ("monitoring", "风险消除不精准,实际风险仍未消除"),
    ("records", "走访记录内容雷同,存在复制粘贴"),
    ("records", "分项收入与上年完全一样,收入测算不实"),
    ("records", "户内档案资料不完整,程序性资料缺失"),
    ("policy", "一键报贫政策知晓率不高"),
    ("policy", "大病患者仅享受单人低保"),
    ("basic_needs", "饮水安全设施维护不到位"),
    ("basic_needs", "危房改造后续管护不到位"),
    ("living_environment", "柴草粪堆乱堆乱放"),
    ("living_environment", "卫生厕所季节性使用"),
    ("responsibility", "帮扶责任人对户情不熟悉"),
    ("village_team", "驻村工作队在岗履职不到位"),
    ("income", "务工收入无印证资料"),
)
TOWNSHIP_SUFFIX = "乡村振兴工作站"
