"""Demo data: the ten projects of the two budgets' 绩效目标表 (2021 Changji, 2022 Urumqi) as published,
a current-year edition of each (same targets, code suffixed with the year) so that the live actual
values show against the demo's recent demands and projects, and a few incidents and maintenance requests.
Idempotent: projects are keyed by code, operations rows by their titles."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.kpi import services
from qinqing.kpi.models import BudgetProject, DetectedBy, Incident, MaintenanceRequest, System

DEMO_MARK = "（演示）"


def _current_editions() -> list[services.ProjectData]:
    year = timezone.localdate().year
    out = []
    for data in services.seed_data():
        out.append(dataclasses.replace(data, code=f"{data.code}-{year}", year=year))
    return out


def _operations(now: dt.datetime) -> int:
    if Incident.objects.filter(affected__endswith=DEMO_MARK).exists():
        return 0
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    incidents = [
        Incident(
            system=System.PLATFORM,
            started_at=now - 40 * day,
            ended_at=now - 40 * day + 3 * hour,
            detected_by=DetectedBy.STAFF,
            affected="诉求受理、交办" + DEMO_MARK,
            cause="数据库服务器磁盘空间不足",
            fix="清理归档日志并扩容磁盘",
        ),
        Incident(
            system=System.PLATFORM,
            started_at=now - 12 * day,
            ended_at=now - 12 * day + 30 * dt.timedelta(minutes=1),
            detected_by=DetectedBy.PROBE,
            probe_check="site",
            affected="网站访问" + DEMO_MARK,
            cause="反向代理证书过期",
            fix="更新证书",
        ),
        Incident(
            system=System.MINIPROGRAM,
            started_at=now - 20 * day,
            ended_at=now - 20 * day + 5 * hour,
            detected_by=DetectedBy.USER,
            affected="招商小程序项目展示" + DEMO_MARK,
            cause="接口版本升级后字段缺失",
            fix="回退接口版本",
        ),
    ]
    Incident.objects.bulk_create(incidents)
    requests = [
        MaintenanceRequest(
            system=System.PLATFORM,
            title="新增县市用户账号" + DEMO_MARK,
            raised_by_name="玛纳斯县营商中心",
            raised_at=now - 30 * day,
            first_response_at=now - 30 * day + 2 * hour,
            resolved_at=now - 29 * day,
            resolution="已开通",
        ),
        MaintenanceRequest(
            system=System.PLATFORM,
            title="诉求导出字段调整" + DEMO_MARK,
            raised_by_name="州营商中心",
            raised_at=now - 8 * day,
            first_response_at=now - 8 * day + 6 * hour,
        ),
        MaintenanceRequest(
            system=System.MINIPROGRAM,
            title="小程序首页轮播图更换" + DEMO_MARK,
            raised_by_name="市招商局",
            raised_at=now - 5 * day,
            first_response_at=now - 5 * day + 3 * hour,
            resolved_at=now - 4 * day,
            resolution="已更换",
        ),
    ]
    MaintenanceRequest.objects.bulk_create(requests)
    return len(incidents) + len(requests)


@transaction.atomic
def load(stdout: Any = None) -> int:
    added = services.load_seed()
    for data in _current_editions():
        if not BudgetProject.objects.filter(code=data.code).exists():
            services._upsert(data)
            added += 1
    added += _operations(timezone.now())
    if stdout is not None:
        stdout.write(f"kpi: {added} rows (budget projects, incidents, maintenance requests)\n")
    return added
