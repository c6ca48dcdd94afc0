"""The public site's two languages without gettext: UI strings in a Python table, content fields in pairs.

GNU gettext is not a dependency of a fresh clone, so the portal does not use .po/.mo files. The language is
part of the URL (``/portal/…`` Chinese, ``/portal/en/…`` English), which keeps cached pages and shared links
unambiguous; the switch links to the same path in the other language. Content has ``title_en``,
``summary_en`` and ``body_en``; a blank English field falls back to the Chinese text. The staff side stays
Chinese (settings.LANGUAGES is not touched, so Django's own messages are unaffected).
"""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

UI: dict[str, tuple[str, str]] = {
    "home": ("首页", "Home"),
    "profile": ("城市概况", "City profile"),
    "parks": ("产业园区", "Industrial parks"),
    "clusters": ("产业集群", "Industry clusters"),
    "policies": ("优惠政策", "Policies"),
    "match": ("政策匹配", "Policy matching"),
    "projects": ("招商项目", "Projects"),
    "news": ("新闻活动", "News & events"),
    "inquiry": ("我要洽谈", "Talk to us"),
    "track": ("洽谈进度", "Inquiry status"),
    "search": ("搜索", "Search"),
    "keyword": ("关键词", "Keyword"),
    "all": ("全部", "All"),
    "policy_type": ("政策类型", "Policy type"),
    "industry": ("行业", "Industry"),
    "location": ("落地区域", "Location"),
    "size": ("投资规模", "Investment size"),
    "cluster": ("产业集群", "Cluster"),
    "chain": ("产业链", "Chain"),
    "issuer": ("发文机关", "Issued by"),
    "doc_number": ("文号", "Document No."),
    "valid": ("有效期", "In force"),
    "expired": ("已失效", "Expired"),
    "in_force": ("有效", "In force"),
    "attachments": ("附件", "Attachments"),
    "planned_investment": ("计划总投资", "Planned investment"),
    "wan_yuan": ("万元", "×10,000 yuan"),
    "jobs": ("预计带动就业", "Expected jobs"),
    "people": ("人", "people"),
    "construction": ("建设性质", "Construction"),
    "contact_unit": ("联系单位", "Contact office"),
    "summary": ("项目简介", "Summary"),
    "scan": ("扫码查看本页", "Scan to open this page"),
    "match_intro": (
        "填写您的投资意向，查看可以享受的优惠政策及匹配原因。",
        "Describe your planned investment to see the policies that apply and why.",
    ),
    "planned_investment_wan": ("计划投资（万元）", "Planned investment (×10,000 yuan)"),
    "planned_jobs": ("计划用工（人）", "Planned jobs"),
    "project_type": ("项目类型", "Project type"),
    "match_submit": ("开始匹配", "Match"),
    "matched": ("符合条件的政策", "Matching policies"),
    "reasons": ("匹配原因", "Why it matches"),
    "to_check": ("仍需核实的条件", "Conditions still to check"),
    "no_match": ("没有符合条件的政策", "No policy matches"),
    "company": ("单位名称", "Company"),
    "contact": ("联系人", "Contact person"),
    "phone": ("手机号", "Mobile phone"),
    "email": ("电子邮箱（选填）", "E-mail (optional)"),
    "message": ("洽谈内容", "Message"),
    "consent": ("我已阅读并同意《个人信息处理告知书》", "I have read and agree to the personal data notice"),
    "submit": ("提交", "Send"),
    "sms_code": ("短信验证码", "SMS code"),
    "send_code": ("获取验证码", "Get a code"),
    "code_sent": (
        "验证码已发送至 {phone}，5 分钟内有效",
        "A code was sent to {phone}; it is valid for 5 minutes",
    ),
    "submitted": ("提交成功", "Sent"),
    "tracking_note": (
        "请保存下面的查询链接，凭此链接查看办理进度和答复（无需注册）。",
        "Keep this link: it shows the status and the answers (no account needed).",
    ),
    "status": ("状态", "Status"),
    "replies": ("答复", "Answers"),
    "no_replies": ("暂无答复", "No answer yet"),
    "due": ("答复期限", "Answer due by"),
    "received_at": ("提交时间", "Sent at"),
    "rate": ("评价本次服务", "Rate this service"),
    "rated": ("感谢您的评价", "Thank you for your rating"),
    "general_inquiry": ("综合咨询", "General inquiry"),
    "project_of_interest": ("意向项目", "Project of interest"),
    "language": ("English", "中文"),
    "more": ("更多", "More"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "total": ("共", "Total"),
    "items": ("项", "items"),
    "land_available": ("可供土地", "Land available"),
    "mu": ("亩", "mu"),
    "leading_industries": ("主导产业", "Leading industries"),
    "contacts": ("联系方式", "Contacts"),
    "coordinates": ("位置坐标", "Coordinates"),
    "address": ("地址", "Address"),
    "date": ("日期", "Date"),
    "place": ("地点", "Place"),
    "events": ("招商活动/展会", "Events & fairs"),
    "costs": ("要素成本", "Factor costs"),
    "as_of": ("截至", "as of"),
    "not_found": ("页面不存在或已下线", "Page not found or withdrawn"),
    "error": ("提交未成功", "Not sent"),
    "filter": ("筛选", "Filter"),
    "view": ("查看", "View"),
}


def t(key: str, lang: str) -> str:
    pair = UI.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def pick(pair: Any, lang: str) -> str:
    """The LANG text of a {"zh": ..., "en": ...} pair, Chinese when the English one is blank."""
    if not isinstance(pair, dict):
        return str(pair or "")
    if lang == "en" and pair.get("en"):
        return str(pair["en"])
    return str(pair.get("zh") or "")


CHOICE_EN: dict[str, str] = {
    # policy types, project types, stages of construction, size bands, profile sections
    "土地": "Land",
    "税收": "Tax",
    "用电": "Electricity",
    "人才": "Talent",
    "金融": "Finance",
    "奖补": "Grants",
    "其他": "Other",
    "新建": "New build",
    "续建": "Continuing",
    "扩建/技改": "Expansion / upgrade",
    "整体迁入": "Relocation",
    "总部/区域总部": "Headquarters",
    "研发中心": "R&D centre",
    "1亿元以下": "Under 100 million yuan",
    "1亿—5亿元": "100–500 million yuan",
    "5亿—10亿元": "500 million – 1 billion yuan",
    "10亿—100亿元": "1–10 billion yuan",
    "100亿元以上": "Over 10 billion yuan",
    "区位优势": "Location",
    "资源优势": "Resources",
    "产业基础": "Industrial base",
    "交通": "Transport",
    "要素成本": "Factor costs",
    "建链": "Build the chain",
    "补链": "Fill the chain",
    "强链": "Strengthen the chain",
    "延链": "Extend the chain",
    "待答复": "Awaiting answer",
    "已答复": "Answered",
    "已转为项目线索": "Taken up as a project lead",
    "不予受理": "Declined",
    "已办结": "Closed",
    "招商活动": "Investment event",
    "展会": "Trade fair",
}


def choice(label: str, lang: str) -> str:
    return CHOICE_EN.get(label, label) if lang == "en" else label
