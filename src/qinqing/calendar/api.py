"""Working-day arithmetic over HTTP, for any signed-in user (integrations, the demands front end)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.calendar import services
from qinqing.core.api import ErrorSerializer

MAX_DAYS = 1000  # about four years of working days
MAX_SPAN_DAYS = 3660  # ten years of calendar days

_DATE_ERRORS: dict[str, Any] = {
    "invalid": "日期格式应为 YYYY-MM-DD",
    "required": "必填，格式 YYYY-MM-DD",
    "null": "必填",
}


def _date_field(help_text: str) -> serializers.DateField:
    return serializers.DateField(input_formats=["%Y-%m-%d"], error_messages=_DATE_ERRORS, help_text=help_text)


class AddWorkingDaysQuery(serializers.Serializer[Any]):
    start = _date_field("起算日（不计入），YYYY-MM-DD")
    days = serializers.IntegerField(
        min_value=-MAX_DAYS,
        max_value=MAX_DAYS,
        help_text=f"工作日数，可为负数（向前计算），绝对值不超过 {MAX_DAYS}",
        error_messages={
            "invalid": "应为整数",
            "required": "必填，整数",
            "min_value": f"不能小于 -{MAX_DAYS}",
            "max_value": f"不能大于 {MAX_DAYS}",
            "max_string_length": "数值过大",
        },
    )


class WorkingDaysBetweenQuery(serializers.Serializer[Any]):
    start = _date_field("起始日（不计入），YYYY-MM-DD")
    end = _date_field("截止日（计入），YYYY-MM-DD")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if abs((attrs["end"] - attrs["start"]).days) > MAX_SPAN_DAYS:
            raise serializers.ValidationError({"end": ["起止日期相差不能超过 10 年"]})
        return attrs


class WorkdayResultSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(help_text="第 N 个工作日")
    provisional = serializers.BooleanField(help_text="涉及未录入节假日安排的年份时为 true（仅按周末计算）")


class CountResultSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(help_text="(start, end] 内的工作日数；end 早于 start 时为负数")
    provisional = serializers.BooleanField(help_text="涉及未录入节假日安排的年份时为 true（仅按周末计算）")


_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="参数有误（fields 指明字段）"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="未登录或无权访问"),
}


class AddWorkingDaysView(APIView):
    @extend_schema(
        tags=["calendar"],
        operation_id="calendar_add_working_days",
        summary="第 N 个工作日",
        description="起算日不计入，从次一工作日起算；起算日为休息日时从其后第一个工作日起算（民法典第二百零一条）。",
        parameters=[AddWorkingDaysQuery],
        responses={200: WorkdayResultSerializer, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = AddWorkingDaysQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = services.add_working_days(query.validated_data["start"], query.validated_data["days"])
        return Response(WorkdayResultSerializer(result).data)


class WorkingDaysBetweenView(APIView):
    @extend_schema(
        tags=["calendar"],
        operation_id="calendar_working_days_between",
        summary="两日之间的工作日数",
        description="(start, end] 内的工作日数；end 早于 start 时为 [end, start) 内工作日数的相反数。",
        parameters=[WorkingDaysBetweenQuery],
        responses={200: CountResultSerializer, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = WorkingDaysBetweenQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = services.working_days_between(query.validated_data["start"], query.validated_data["end"])
        return Response(CountResultSerializer(result).data)
