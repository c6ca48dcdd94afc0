"""Structured JSON log lines with the request id (settings.LOGGING's "json" formatter, used in production).

One JSON object a line: time (ISO 8601 with offset), level, logger, message, request_id and client ip
of the request being served (qinqing.core.context), and the exception text when there is one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from qinqing.core import context

STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = context.current()
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if ctx.request_id:
            entry["request_id"] = ctx.request_id
        if ctx.ip:
            entry["ip"] = ctx.ip
        for key, value in vars(record).items():  # extra={...} fields
            if key not in STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
