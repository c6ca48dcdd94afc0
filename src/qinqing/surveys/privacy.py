"""The personal-data check applied to verbatim comments before they are shown or printed.

Masks mobile and landline numbers, 18-digit resident ID numbers, e-mail addresses, and the name patterns
commenters use ("我叫张三", "联系人：李四", "王科长", "张先生"), so a quoted comment cannot identify a person.
"""

from __future__ import annotations

import re

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
INTRODUCED = re.compile(r"(我叫|我是|本人|联系人[:：]?|姓名[:：]?|经办人[:：]?|找了?)([\u4e00-\u9fa5]{2,3})")
TITLED = re.compile(
    r"(?<![\u4e00-\u9fa5])([\u4e00-\u9fa5])(?=(先生|女士|小姐|师傅|科长|局长|主任|处长|经理|书记|县长|市长|站长|所长|老师))"
)
SURNAMES = set(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)


def mask(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: m.group(0)[:4] + "**********" + m.group(0)[-4:], text)
    text = MOBILE.sub(lambda m: _mask_digits(m.group(0)), text)
    text = LANDLINE.sub("***-****", text)
    text = EMAIL.sub("***@***", text)
    text = INTRODUCED.sub(lambda m: m.group(1) + "某" * len(m.group(2)), text)
    text = TITLED.sub(lambda m: "某" if m.group(1) in SURNAMES else m.group(1), text)
    return text


def _mask_digits(number: str) -> str:
    digits = re.sub(r"\D", "", number)[-11:]
    return f"{digits[:3]}****{digits[-4:]}"
