"""Keeps this process's storage secrets out of the logs of boto3, botocore, s3transfer
and urllib3, and out of what the ``bucket`` command prints: the project's one redaction rule.

The rule: a registered secret of at least ``MIN_LENGTH`` (8) characters is replaced by
``***`` wherever it appears, in every form it can take in a line of text (``forms``): a
string as itself and as shown inside a ``repr``; bytes (an SSE-C key) in hex (both cases),
base64, their UTF-8 decoding where valid, their Python ``repr`` (``b'\\x01...'``, whole
and without ``b'...'``, as a dict's ``repr`` shows them), that ``repr`` escaped once more
(a ``repr`` inside a ``repr``: an exception in a tuple), and the base64 MD5 of the key
(the ``SSECustomerKeyMD5`` botocore sends). Shorter values are not masked: they would
corrupt ordinary text (object keys, URLs), and real secrets are longer.

botocore logs whole requests at DEBUG (session token, SSE-C key) and s3transfer each
task's arguments. Stores ``register`` their secrets; ``install`` puts one
``RedactingFilter`` on every logger of those libraries (a logger's filters do not see the
records its children pass up): those that exist and one per module found on disk, made
without importing it. No handler is added and no global hook replaced; filters only run
for records that pass the logger's level, so with DEBUG off this adds no work.

obstore (the Rust engine) does not log through Python's ``logging``; its error messages
go through ``scrub`` (``errors.py``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import logging
import os
import pkgutil
import threading

MASK = "***"
MIN_LENGTH = 8
"""Shortest secret masked; shorter values would mask ordinary text."""
_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3")
_secrets: set[str] = set()
_longest_first: tuple[str, ...] = ()  # a secret inside another is masked after it
_installed: set[str] = set()
_module_loggers: tuple[str, ...] | None = None  # the libraries' module names, found once
_loggers_seen = -1  # how many loggers existed at the end of the last install
_lock = threading.Lock()


def _shown_in_repr(text: str) -> str:
    """``text`` as a ``repr`` shows it between its quotes (as a dict's ``repr`` does)."""
    return repr(text)[1:-1]


def _shown_twice(inner: str) -> set[str]:
    """``inner`` (a ``repr``'s text, printable ASCII) escaped once more, as a ``repr`` of
    a text holding it shows it: backslashes doubled, and ``'`` escaped or not (that
    depends on the quotes of the whole outer text, not known here)."""
    doubled = inner.replace("\\", "\\\\")
    return {doubled, doubled.replace("'", "\\'")}


def forms(secret: str | bytes) -> set[str]:
    """Every text ``secret`` can take in a log line (the module's rule), short ones
    included (``register`` drops those under ``MIN_LENGTH``). Never raises."""
    if isinstance(secret, str):
        return {secret, _shown_in_repr(secret)}
    shown = repr(secret)
    inner = shown[2:-1]
    md5 = hashlib.md5(secret, usedforsecurity=False).digest()
    found = {
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.b64encode(md5).decode(),
        shown,
        inner,
        *_shown_twice(inner),
    }
    with contextlib.suppress(UnicodeDecodeError):
        text = secret.decode()
        found |= {text, _shown_in_repr(text)}
    return found


def register(secret: str | bytes | None) -> None:
    """Remember ``secret`` for redaction, in each of its ``forms``; forms shorter than
    ``MIN_LENGTH`` (8), None and empty values are ignored. Never raises. Thread-safe."""
    if not secret:
        return
    found = forms(secret)
    global _longest_first
    with _lock:
        _secrets.update(form for form in found if len(form) >= MIN_LENGTH)
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


_TRACEBACKS = logging.Formatter()
"""Renders a record's exception as the default ``logging.Formatter`` does."""


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's rendered message by ``***``, and in
    its exception and stack texts. Never drops a record; a record whose arguments do not
    format is left to ``logging`` (which reports it)."""

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
        _scrub_extras(record)
        return True


def _scrub_extras(record: logging.LogRecord) -> None:
    """Redact the exception text (rendered here as ``Formatter.format`` would, and kept
    in ``exc_text`` only when it held a secret) and the stack text of ``record``."""
    if record.exc_info and not record.exc_text:
        try:
            rendered = _TRACEBACKS.formatException(record.exc_info)
        except Exception:  # an exception that does not render: leave it to logging
            rendered = ""
        redacted = scrub(rendered)
        if redacted != rendered:
            record.exc_text = redacted
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


_FILTER = RedactingFilter()


def _module_names(package: str) -> list[str]:
    """``package`` and the dotted names of its modules and subpackages found on disk,
    without importing any of them; empty when ``package`` is not installed."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # ValueError: a module without __spec__
        return []
    if spec is None:
        return []
    names = [package]
    pending = [(package, location) for location in spec.submodule_search_locations or ()]
    while pending:
        prefix, location = pending.pop()
        for info in pkgutil.iter_modules([location]):
            name = f"{prefix}.{info.name}"
            names.append(name)
            if info.ispkg:
                pending.append((name, os.path.join(location, info.name)))
    return names


def install() -> None:
    """Put the filter on every logger of boto3, botocore, s3transfer and urllib3: those
    that exist now and one per module of those packages found on disk (found by the first
    call); a logger made later under another name is covered by the next call. Adds no
    handler, changes no level. Idempotent and cheap to repeat (one length check while no
    logger was made since: ``sse_c_args`` calls it on every SSE-C request); thread-safe."""
    global _module_loggers, _loggers_seen
    manager = logging.Logger.manager
    if len(manager.loggerDict) == _loggers_seen:
        return
    with _lock:
        if _module_loggers is None:
            _module_loggers = tuple(
                name for library in _LIBRARIES for name in _module_names(library)
            )
        existing = [
            name for name in list(manager.loggerDict) if name.split(".", 1)[0] in _LIBRARIES
        ]
        for name in [*_LIBRARIES, *_module_loggers, *existing]:
            if name in _installed:
                continue
            logging.getLogger(name).addFilter(_FILTER)
            _installed.add(name)
        _loggers_seen = len(manager.loggerDict)
