"""Keeps this process's storage secrets out of the logs of boto3, botocore, s3transfer
and urllib3.

botocore logs whole requests at DEBUG (``botocore.endpoint``: parameters and headers;
``botocore.auth``: the canonical request), which carry the session token
(``X-Amz-Security-Token``) and the SSE-C key. The signing secret itself is never sent,
but a redaction costs nothing extra. Stores ``register`` their secrets; ``install`` puts
one ``RedactingFilter`` on each of those libraries' loggers, which replaces every
registered secret in a record's message by ``***``. Filters only run for records that
pass the logger's level, so with DEBUG off this adds no work to a request.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading

MASK = "***"
_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3")
_secrets: set[str] = set()
_installed: set[str] = set()
_lock = threading.Lock()


def register(secret: str | bytes | None) -> None:
    """Remember ``secret`` (and, for bytes, its base64 and hex forms) for redaction.

    Values shorter than 8 characters are ignored (they would mask ordinary text).
    """
    if not secret:
        return
    forms: set[str] = set()
    if isinstance(secret, bytes):
        forms |= {base64.b64encode(secret).decode(), secret.hex()}
        with contextlib.suppress(UnicodeDecodeError):
            forms.add(secret.decode())
    else:
        forms.add(secret)
    with _lock:
        _secrets.update(form for form in forms if len(form) >= 8)


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's rendered message by ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to logging
            return True
        redacted = message
        for secret in tuple(_secrets):
            if secret in redacted:
                redacted = redacted.replace(secret, MASK)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Put the filter on every logger of boto3, botocore, s3transfer and urllib3 that
    exists now (call it again after those libraries load more modules). Idempotent."""
    manager = logging.Logger.manager
    with _lock:
        names = [
            name
            for name in list(manager.loggerDict)
            if name.split(".", 1)[0] in _LIBRARIES and name not in _installed
        ]
        for name in [*_LIBRARIES, *names]:
            if name in _installed:
                continue
            logging.getLogger(name).addFilter(_FILTER)
            _installed.add(name)
