"""Structured logs that never carry a secret.

One line per record (JSON with LISTBRIDGE_LOG_FORMAT=json, readable text otherwise). A filter
on every handler masks anything shaped like a credential, as a last line of defence behind
the rule that code never logs secrets in the first place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

# Mailchimp API keys, our API tokens, bearer/basic credentials, Fernet tokens, form passwords.
_SECRET_PATTERNS = [
    re.compile(r"\b[0-9a-f]{32}-us\d{1,3}\b"),
    re.compile(r"\blb_[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?i)\b(bearer|basic|oauth)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    re.compile(r"\bgAAAAA[A-Za-z0-9_\-=]{20,}"),
    re.compile(r"(?i)(password|secret|token|api_key)=[^&\s]+"),
    re.compile(r"\blbhook_[A-Za-z0-9_\-]{20,}"),  # product-event hook secrets
]
# A Mailchimp webhook's URL ends in its secret (access logs print paths): keep the id, mask it.
_HOOK_URL = re.compile(r"(/hooks/mailchimp/\d+/)[^\s/?\"']+")
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("[redacted]", text)
    return _HOOK_URL.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, mask(value))
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


def _masked(value: Any) -> Any:
    """Strings masked however deeply they sit in a structured extra (the filter sees only
    top-level strings, and a JSON line prints the rest as it is)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_masked(v) for v in value]
    if value is None or isinstance(value, int | float):
        return value
    return mask(str(value))  # what json.dumps(default=str) would print


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_masked(_extras(record)),
        }
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        text = f"{line} {extras}" if extras else line
        return mask(text)


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.set_name("listbridge")
    root = logging.getLogger()
    # Replace our own handler (configure may run twice in one process), keep anyone else's.
    root.handlers = [h for h in root.handlers if h.get_name() != "listbridge"] + [handler]
    root.setLevel(level)
    # Third-party chatter that would otherwise drown the app's own lines.
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
