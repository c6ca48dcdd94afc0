"""One guard against NUL characters in requests (PostgreSQL refuses ``\\x00`` in text columns: such a
value was a 500 there and silently stored on SQLite).

``NulGuardMiddleware`` answers 400 when the query string, a form field (names and values; file contents
are not looked at) or a JSON body (every decoded string, keys included, however deeply nested) holds a
NUL. Normal requests cost a few substring searches over raw bytes: the query string and url-encoded
forms are checked in their raw form (``%00`` always decodes to NUL there), a JSON body is parsed only
when its raw bytes hold ``\\u0000``, and multipart fields are read from the ``request.POST`` Django parses
for the view anyway.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError

MESSAGE = "请求包含非法字符（空字符），请删除后重试"
FIELD_MESSAGE = "不能包含空字符"
MAX_FIELDS = 20  # the error names at most this many offending fields


def _percent_nul(raw: str | bytes) -> bool:
    if isinstance(raw, str):
        return "%00" in raw or "\x00" in raw
    return b"%00" in raw or b"\x00" in raw


def _json_paths(value: Any, path: str = "") -> Iterator[str]:
    """Where VALUE (decoded JSON) holds a string with NUL: "a.b.0" style paths ("" for the root)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "non_field_errors"
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                yield here
            yield from _json_paths(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_paths(item, f"{path}.{i}" if path else str(i))


def _form_paths(pairs: Iterable[tuple[str, list[str]]]) -> Iterator[str]:
    for key, values in pairs:
        if "\x00" in key or any("\x00" in v for v in values):
            yield key


def nul_fields(request: HttpRequest) -> list[str] | None:
    """The fields of REQUEST holding a NUL, or None when there is none."""
    found: list[str] = []
    query = request.META.get("QUERY_STRING", "")
    if query and _percent_nul(query):
        found += _form_paths(request.GET.lists())
        found = found or ["query"]
    if "\x00" in request.path:
        found.append("path")
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        if request.method not in ("GET", "HEAD") and _percent_nul(request.body):
            form = (
                request.POST
                if request.method == "POST"
                else QueryDict(request.body, encoding=request.encoding)
            )
            found += list(_form_paths(form.lists())) or ["non_field_errors"]
    elif content_type == "multipart/form-data" and request.method == "POST":
        with contextlib.suppress(MultiPartParserError):  # the view answers a broken upload as before
            found += _form_paths(request.POST.lists())
    elif content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        if b"\x00" in body:  # a raw NUL is never valid JSON text; refuse it here like an escaped one
            found.append("non_field_errors")
        elif b"\\u0000" in body:
            try:
                decoded = json.loads(body)
            except ValueError:
                pass  # the API's parser answers malformed JSON
            else:
                found += _json_paths(decoded)
    return list(dict.fromkeys(found)) or None


def refusal(request: HttpRequest, fields: list[str]) -> HttpResponse:
    if request.path.startswith("/api/"):
        shown = fields[:MAX_FIELDS]
        return JsonResponse(
            {
                "code": "null_character",
                "detail": MESSAGE,
                "fields": {name: [FIELD_MESSAGE] for name in shown},
            },
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    page = (
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>请求有误</title></head>'
        f"<body><h1>请求有误</h1><p>{MESSAGE}</p></body></html>"
    )
    return HttpResponse(page, status=400, content_type="text/html; charset=utf-8")


class NulGuardMiddleware:
    """400 for any request carrying a NUL character in its query string, form fields or JSON body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = nul_fields(request)
        if fields is not None:
            return refusal(request, fields)
        return self.get_response(request)
