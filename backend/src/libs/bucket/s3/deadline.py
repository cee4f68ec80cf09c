"""Deadlines for every HTTP attempt: the read timeout bounds silence, this bounds the wait
(``docs/reliability.md``, "Every attempt has a deadline").

A watchdog thread shuts the socket of an attempt that outlives its deadline: the read
fails at once and botocore retries (or the store resumes the body). With ``connect`` =
``BUCKET_CONNECT_TIMEOUT``, ``read`` = ``BUCKET_READ_TIMEOUT`` and ``MIN_RATE``:

- sending a request: ``connect + read + body bytes / MIN_RATE``;
- its response, once the head arrived: ``read + Content-Length / MIN_RATE`` (1 MiB
  counted for a body of unknown length; a non-streaming body is read within it);
- a body handed to the caller as a stream: each ``read(n)`` gets ``read + n / MIN_RATE``;
  the time between reads is the caller's.

A call is then bounded by ``call_bound``. The client's pools get connection classes that
register each attempt with the watchdog (``install``), which wakes every ``TICK`` seconds
while an attempt is registered and sleeps otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from backend.src.libs.bucket.s3 import botocore_private

if TYPE_CHECKING:
    from obstore.store import RetryConfig

log = logging.getLogger("bucket.deadline")

MIN_RATE = 64 * 1024
"""Bytes per second below which a transfer counts as stalled (see the module docstring)."""

TICK = 0.25
"""How often the watchdog looks at the registered attempts, in seconds."""


class _Watchdog:
    """One thread for the process: shuts the socket of any connection past its deadline."""

    def __init__(self) -> None:
        self._deadlines: dict[Any, tuple[float, int]] = {}
        self._lock = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._expired_at: dict[int, float] = {}

    def watch(self, connection: Any, seconds: float) -> None:
        """Shut ``connection``'s socket if it is still watched ``seconds`` from now."""
        expires = time.monotonic() + seconds
        with self._lock:
            was_idle = not self._deadlines
            self._deadlines[connection] = (expires, threading.get_ident())
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="bucket-deadline", daemon=True
                )
                self._thread.start()
            elif was_idle:
                self._lock.notify()

    def unwatch(self, connection: Any) -> None:
        """Stop watching ``connection`` (no-op when it is not watched)."""
        with self._lock:
            self._deadlines.pop(connection, None)

    def expired_since(self, started: float) -> bool:
        """True when an attempt of the calling thread was cut by its deadline at or after
        ``started`` (a ``time.monotonic()`` reading)."""
        with self._lock:
            return self._expired_at.get(threading.get_ident(), float("-inf")) >= started

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._deadlines:
                    self._lock.wait()
                now = time.monotonic()
                late = [c for c, (t, _) in self._deadlines.items() if t <= now]
                for connection in late:
                    self._expired_at[self._deadlines.pop(connection)[1]] = now
            for connection in late:
                self._expire(connection)
            time.sleep(TICK)

    def _expire(self, connection: Any) -> None:
        # http.client drops conn.sock when the answer says "Connection: close" while the
        # response still reads from it: the socket kept by getresponse() is the one to shut
        sock = getattr(connection, "deadline_socket", None) or getattr(connection, "sock", None)
        if sock is None:
            return
        log.warning(
            "an HTTP attempt to %s outlived its deadline (the server answers too slowly); "
            "closing its connection",
            getattr(connection, "host", "?"),
        )
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


UNKNOWN_BODY = 1024 * 1024
"""The allowance, in bytes, for a response body of unknown length (chunked)."""


def _content_length(headers: Any, unknown: int = 0) -> int:
    """The Content-Length of ``headers``; ``unknown`` when there is none."""
    raw = headers.get("Content-Length") or headers.get("content-length")
    try:
        return int(raw) if raw is not None else unknown
    except (TypeError, ValueError):
        return unknown


class _DeadlineConnection:
    """Mixin for botocore's connection classes: each attempt registered with the watchdog
    (the timeouts are set by ``install``)."""

    connect_timeout: float = 60.0
    read_timeout: float = 60.0

    def request(
        self,
        method: Any,
        url: Any,
        body: Any = None,
        headers: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        size = _content_length(headers or {})
        WATCHDOG.watch(self, self.connect_timeout + self.read_timeout + size / MIN_RATE)
        return super().request(method, url, body, headers, *args, **kwargs)  # type: ignore[misc]

    deadline_socket: socket.socket | None = None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        self.deadline_socket = getattr(self, "sock", None)
        response = super().getresponse(*args, **kwargs)  # type: ignore[misc]
        size = _content_length(response.headers, UNKNOWN_BODY)
        WATCHDOG.watch(self, self.read_timeout + size / MIN_RATE)
        return response

    def close(self) -> None:
        # http.client calls this when it hands the socket to a "Connection: close"
        # response: deadline_socket stays, for the response's reads
        WATCHDOG.unwatch(self)
        super().close()  # type: ignore[misc]


def install(client: Any, *, connect_timeout: float, read_timeout: float) -> bool:
    """Give a boto3 client deadline-watched connections: its HTTP session's pool classes
    are replaced in place by pools whose connections register each attempt with the
    watchdog and are no longer watched once handed back.

    Returns:
        True when installed; False (a warning logged by ``botocore_private``) when this
        botocore keeps its pools elsewhere: the client is then bounded by the read timeout.
    """
    from botocore.awsrequest import (
        AWSHTTPConnection,
        AWSHTTPConnectionPool,
        AWSHTTPSConnection,
        AWSHTTPSConnectionPool,
    )

    session = botocore_private.http_session(client)
    pools = botocore_private.pool_classes(session) if session is not None else None
    if pools is None:
        return False
    settings = {"connect_timeout": float(connect_timeout), "read_timeout": float(read_timeout)}
    made: dict[str, type[Any] | None] = {}
    for scheme, name, connection, pool in (
        ("http", "DeadlineHTTPConnection", AWSHTTPConnection, AWSHTTPConnectionPool),
        ("https", "DeadlineHTTPSConnection", AWSHTTPSConnection, AWSHTTPSConnectionPool),
    ):
        watched = type(name, (_DeadlineConnection, connection), settings)
        made[scheme] = botocore_private.pool_class(pool, watched, WATCHDOG.unwatch, f"{name}Pool")
    if None in made.values():
        return False
    pools.update({scheme: pool for scheme, pool in made.items() if pool is not None})
    return True


def stream_connection(body: Any) -> Any:
    """The connection a botocore ``StreamingBody`` reads from (the urllib3 response's
    public ``connection``, under ``botocore_private.raw_stream``), or None."""
    return getattr(botocore_private.raw_stream(body), "connection", None)


@contextlib.contextmanager
def reading(connection: Any, amount: int | None, *, read_timeout: float) -> Iterator[None]:
    """Watch ``connection`` for the length of one read of ``amount`` bytes (None: the rest
    of the body, counted as 1 MiB); the time the caller spends between reads is its own."""
    if connection is None:
        yield
        return
    size = amount if amount is not None and amount >= 0 else 1024 * 1024
    WATCHDOG.watch(connection, read_timeout + size / MIN_RATE)
    try:
        yield
    finally:
        WATCHDOG.unwatch(connection)


def release(connection: Any) -> None:
    """Stop watching ``connection`` (its body is now read at the caller's pace)."""
    if connection is not None:
        WATCHDOG.unwatch(connection)


def attempt_bound(connect_timeout: float, read_timeout: float, size: int = 0) -> float:
    """The longest one attempt of a request moving ``size`` bytes may take, in seconds
    (plus up to ``TICK`` for the watchdog to notice)."""
    return connect_timeout + read_timeout + size / MIN_RATE


BACKOFF_CAP = 20.0
"""The longest wait between two attempts in botocore's standard and adaptive modes (s)."""


def backoff_bound(retry_mode: str, retry: int) -> float:
    """The longest wait before retry number ``retry`` (0: the first), in seconds, under
    botocore's ``retry_mode``: ``min(20, 2 ** retry)`` in standard and adaptive modes
    (botocore's bound for a throttling answer), ``2 ** retry`` in legacy mode. botocore
    waits a random fraction of it."""
    wait = 2.0**retry
    return wait if retry_mode == "legacy" else min(BACKOFF_CAP, wait)


def call_bound(
    connect_timeout: float,
    read_timeout: float,
    max_retries: int,
    size: int = 0,
    *,
    retry_mode: str = "standard",
) -> float:
    """The longest one call may take when every attempt hits its deadline: each attempt's
    bound and the watchdog's tick, plus ``backoff_bound`` of each retry."""
    attempts = max_retries + 1
    backoff = sum(backoff_bound(retry_mode, i) for i in range(max_retries))
    return attempts * (attempt_bound(connect_timeout, read_timeout, size) + TICK) + backoff


def obstore_retry(
    connect_timeout: float,
    read_timeout: float,
    max_retries: int,
    size: int = 0,
    *,
    retry_mode: str = "standard",
) -> RetryConfig:
    """obstore's retry settings for requests moving up to ``size`` bytes, from botocore's:
    ``max_retries`` retries, waits bounded as ``backoff_bound`` bounds botocore's, no retry
    started past ``call_bound`` (what obstore cannot follow: ``docs/reliability.md``)."""
    from datetime import timedelta

    last = max(0, max_retries - 1)
    return {
        "max_retries": max_retries,
        "backoff": {
            "init_backoff": timedelta(seconds=backoff_bound(retry_mode, 0)),
            "max_backoff": timedelta(seconds=backoff_bound(retry_mode, last)),
            "base": 2,
        },
        "retry_timeout": timedelta(
            seconds=call_bound(
                connect_timeout, read_timeout, max_retries, size, retry_mode=retry_mode
            )
        ),
    }
