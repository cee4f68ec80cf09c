"""A server that trickles holds no call for long (issue 15, items 18 and 19).

``FaultProxy.trickle`` relays the real Ceph RGW's answers one byte every 0.3 s: never silent
for as long as the read timeout, never done. Every attempt has a deadline
(``deadline.py``); these tests check that calls end with ``DeadlineExceeded`` within
``deadline.call_bound`` of the settings (the old code took minutes: a 300-byte answer at
0.3 s a byte), that a stream read slowly *by the caller* is not cut, and that small PUTs
no longer wait for ``100 Continue``.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

from backend.src.libs.bucket import Bucket, ConnectionFailed
from backend.src.libs.bucket.s3.deadline import call_bound
from backend.src.libs.bucket.s3.store import S3Store
from tests.faults.conftest import ProxiedConfig
from tests.faults.proxy import FaultProxy, matcher

pytestmark = pytest.mark.integration

RETRIES = 2
TIMEOUTS = {"connect_timeout": 1.0, "read_timeout": 1.0, "max_retries": RETRIES}
SLACK = 3.0  # scheduling on a loaded 2-core machine; the old code took minutes
BOUND = call_bound(1.0, 1.0, RETRIES) + SLACK


def _slow_code(engine: str) -> str:
    """The code of a call cut on a trickling server: ``DeadlineExceeded`` on the boto3
    engine (``deadline.py``'s watchdog); ``Timeout`` on obstore's, whose read timeout
    cuts a trickled answer first and which does not say which of its timeouts fired
    (``errors.translate_obstore``). Both are ``ConnectionFailed`` within the bound."""
    return "DeadlineExceeded" if engine == "boto3" else "Timeout"


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    try:
        result: Any = call()
    except Exception as exc:  # returned for the assertions
        result = exc
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("operation", "method"),
    [("head", "HEAD"), ("get", "GET"), ("list", "GET"), ("ping", "HEAD")],
)
def test_trickled_answers_end_within_the_bound(
    operation: str, method: str, proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store,
    fault_bucket: str,
) -> None:
    """head, get, list and ping against a trickling server raise ConnectionFailed with code
    DeadlineExceeded after max_retries + 1 attempts, within call_bound of the settings."""
    direct.put_object(fault_bucket, "k", b"v" * 5000)
    store = S3Store(proxied_config(default_bucket=fault_bucket, **TIMEOUTS))
    calls = {
        "head": lambda: store.head_object(fault_bucket, "k"),
        "get": lambda: store.get_object(fault_bucket, "k"),
        "list": lambda: list(store.list_objects(fault_bucket)),
        "ping": store.ping,
    }
    proxy.trickle(0.3, count=1000, match=matcher(method))
    error, seconds = _timed(calls[operation])
    assert isinstance(error, ConnectionFailed), error
    uses_obstore = operation == "get"  # head_object, list and ping are boto3's
    assert error.code == _slow_code(store.engine if uses_obstore else "boto3")
    assert "BUCKET_READ_TIMEOUT" in error.message
    assert seconds < BOUND, seconds
    assert len(proxy.seen(method)) == RETRIES + 1
    proxy.clear()
    assert store.get_object(fault_bucket, "k") == b"v" * 5000  # the same store works again
    store.close()


def test_facade_health_check_and_download_stream_are_bounded(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """The facade on a trickling server: health_check is False and download_stream returns
    error, each within the bound (no reconnect-and-replay for a slow server), last_error
    says DeadlineExceeded; both work again when the trickle stops."""
    direct.put_object(fault_bucket, "k", b"payload")
    bucket = Bucket(config=proxied_config(default_bucket=fault_bucket, auto_create=False, **TIMEOUTS))
    assert bucket.download_stream(fault_bucket, "k") == b"payload"
    proxy.trickle(0.3, count=1000)
    healthy, seconds = _timed(bucket.health_check)
    assert healthy is False and seconds < BOUND, seconds
    result, seconds = _timed(lambda: bucket.download_stream(fault_bucket, "k"))
    assert result == bucket.error and seconds < BOUND, seconds
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert bucket.last_error.code == _slow_code(bucket.store.engine)  # type: ignore[attr-defined]
    # + the first, good download; obstore's Timeout reads as a silent server, which the
    # facade replays once on a new connection (test_faults.py's stall tests)
    replays = 2 if bucket.store.engine == "obstore" else 1  # type: ignore[attr-defined]
    assert len(proxy.seen("GET")) == replays * (RETRIES + 1) + 1
    proxy.clear()
    assert bucket.health_check() is True
    assert bucket.download_stream(fault_bucket, "k") == b"payload"


def test_stream_body_trickled_after_the_head_is_cut(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """open_object: the head and 1 KiB arrive at once, then the body trickles; the caller's
    next read raises DeadlineExceeded within one attempt's bound instead of hanging."""
    direct.put_object(fault_bucket, "k", bytes(range(256)) * 400)
    store = S3Store(proxied_config(**TIMEOUTS))
    proxy.trickle(0.3, after=1024, count=1, match=matcher("GET"))
    stream = store.open_object(fault_bucket, "k")
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as caught:
        while stream.read(64 * 1024):
            pass
    assert caught.value.code == "DeadlineExceeded"
    assert time.monotonic() - started < 1.0 + 1.0 + SLACK
    stream.close()
    store.close()


def test_a_slow_caller_is_not_cut(
    proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Only the time inside read() counts: a caller that waits 3 s (longer than an attempt's
    2 s deadline) between two reads of an open_object stream still gets every byte."""
    data = bytes(range(256)) * 2000
    direct.put_object(fault_bucket, "k", data)
    store = S3Store(proxied_config(**TIMEOUTS))
    stream = store.open_object(fault_bucket, "k")
    first = stream.read(1000)
    time.sleep(3.0)
    rest = stream.read()
    stream.close()
    assert first + rest == data
    store.close()


def test_small_puts_do_not_wait_for_100_continue(
    proxied_config: ProxiedConfig, fault_bucket: str
) -> None:
    """A PUT of a stream of at most 1 MiB goes without ``Expect: 100-continue`` (no 1 s wait
    per attempt on a silent server); a 2 MiB stream keeps it. Checked on the request as
    botocore sends it to the real server (the boto3 engine: obstore never sends it)."""
    store = S3Store(proxied_config(multipart_threshold=64 * 1024 * 1024, engine="boto3"))
    sent: dict[str, str | None] = {}

    def capture(request: Any, **_: Any) -> None:
        sent[request.url.rsplit("/", 1)[-1]] = request.headers.get("Expect")

    store.client.meta.events.register("before-send.s3.PutObject", capture)
    store.put_object(fault_bucket, "small", io.BytesIO(b"s" * 1000))
    store.put_object(fault_bucket, "large", io.BytesIO(b"l" * (2 * 1024 * 1024)))
    assert sent["small"] is None
    assert sent["large"] in ("100-continue", b"100-continue")
    assert store.get_object(fault_bucket, "small") == b"s" * 1000
    store.close()
