"""The chambers metrics (docs/chambers.md ## Metrics), over the unit's subtree (organisations whose
registration area lies in it) and the period."""

from __future__ import annotations

from decimal import Decimal

from qinqing.chambers import queries
from qinqing.core.metrics import Period, register_metric
from qinqing.orgs.models import Unit


def _counter(figure: str):  # type: ignore[no-untyped-def]
    def compute(unit: Unit, period: Period) -> int:
        return queries.count(unit, period, figure)

    compute.__name__ = f"chambers_{figure}"
    return compute


COUNTS = [
    (
        "chambers.annual_inspections",
        "inspections",
        "年检（作出结论）",
        "家次",
        "期内作出年检结论的年度报告数",
    ),
    ("chambers.revocations", "revocations", "撤销登记", "件", "期内被撤销登记的组织数"),
    ("chambers.changes", "changes", "变更登记", "件", "期内核准的变更申请数"),
    ("chambers.registrations", "registrations", "新登记", "件", "期内核准的登记备案申请数"),
    ("chambers.certificates", "certificates", "登记证书", "件", "期内颁发的登记备案证书数（含换发）"),
    ("chambers.complaints", "complaints", "公众投诉", "件", "期内登记的公众投诉数"),
]


def register() -> None:
    for name, figure, label, unit, definition in COUNTS:
        register_metric(name, label, unit=unit, definition=definition)(_counter(figure))

    @register_metric(
        "chambers.registration_error_rate",
        "登记差错率",
        unit="%",
        definition="期内核准的申请中，事后登记差错更正的件数 ÷ 期内核准的申请数",
    )
    def registration_error_rate(unit: Unit, period: Period) -> Decimal | None:
        return queries.error_rate(unit, period)

    @register_metric(
        "chambers.ontime_rate",
        "按时办结率",
        unit="%",
        definition="期内办结（核准或不予核准）且不晚于审核期限的申请数 ÷ 期内办结的申请数",
    )
    def ontime_rate(unit: Unit, period: Period) -> Decimal | None:
        return queries.ontime_rate(unit, period)
