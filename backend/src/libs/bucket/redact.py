"""Keeps this process's storage secrets out of the logs of boto3, botocore, s3transfer
and urllib3, and out of what the ``bucket`` command prints: the project's one redaction rule.

The rule: a registered secret (a string, or bytes with their base64 and hex forms) of at
least ``MIN_LENGTH`` (8) characters is replaced by ``***`` wherever it appears. Shorter
values are not masked: replacing a 4-character password everywhere would corrupt ordinary
text (object keys, URLs, listings), and real secrets are longer (AWS secret keys have 40
characters, MinIO refuses passwords under 8).

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
MIN_LENGTH = 8
"""Shortest secret masked; shorter values would mask ordinary text."""
_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3")
_secrets: set[str] = set()
_longest_first: tuple[str, ...] = ()  # a secret inside another is masked after it
_installed: set[str] = set()
_lock = threading.Lock()


def register(secret: str | bytes | None) -> None:
    """Remember ``secret`` (and, for bytes, its base64 and hex forms) for redaction.

    Values shorter than ``MIN_LENGTH`` (8) characters are ignored (they would mask
    ordinary text). Thread-safe.
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
    global _longest_first
    with _lock:
        _secrets.update(form for form in forms if len(form) >= MIN_LENGTH)
        _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (the rule of this module).

    Longer secrets are masked first, so one that contains another leaves nothing behind.
    Never raises; with nothing registered, returns ``text`` unchanged. Thread-safe.
    """
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's rendered message by ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _longest_first:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to logging
            return True
        redacted = scrub(message)
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
