"""OpenTelemetry spans without a server (issue 23 item 7): the failure paths, the calls
that send nothing, suppression, and the cost when the package is absent. The stores point
at ``http://127.0.0.1:9``, where nothing listens. The spans on Ceph, one per request on
both engines: ``tests/integration/test_tracing.py``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig, ConnectionFailed
from backend.src.libs.bucket.s3 import tracing
from backend.src.libs.bucket.s3.store import S3Store
from tests.otel import memory_exporter
from tests.servers import ROOT

pytest.importorskip("opentelemetry.sdk.trace")

NOWHERE = {
    "BUCKET_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "BUCKET_MAX_RETRIES": "0",
    "BUCKET_CONNECT_TIMEOUT": "1",
}


@pytest.fixture
def exporter() -> Any:
    found = memory_exporter()
    found.clear()
    return found


def _ours(exporter: Any) -> list[Any]:
    return [
        s for s in exporter.get_finished_spans() if s.instrumentation_scope.name == tracing.SCOPE
    ]


@pytest.fixture(params=["auto", "boto3"])
def store(request: pytest.FixtureRequest) -> Iterator[S3Store]:
    found = S3Store(BucketConfig.from_env({**NOWHERE, "BUCKET_ENGINE": request.param}))
    yield found
    found.close()


def test_a_request_that_cannot_connect_is_one_error_span(store: S3Store, exporter: Any) -> None:
    """A put and a get that never reach a server are one span each, status ERROR, the
    same on obstore's route and botocore's (``after-call-error``)."""
    with pytest.raises(ConnectionFailed):
        store.put_object("box", "k.txt", b"hello")
    with pytest.raises(ConnectionFailed):
        store.get_object("box", "k.txt")
    spans = _ours(exporter)
    assert [s.name for s in spans] == ["S3.PutObject", "S3.GetObject"]
    for span in spans:
        assert span.status.status_code.name == "ERROR"
        assert span.attributes["error.type"]
        assert span.attributes["aws.s3.key"] == "k.txt"
        assert span.end_time is not None


def test_a_stubbed_call_sends_nothing_and_has_no_span(exporter: Any) -> None:
    """A call botocore's ``Stubber`` answers (at ``before-call``) sends no request: no
    span; the next real request has its span, not made current (nothing left attached)."""
    from botocore.stub import Stubber
    from opentelemetry import trace

    store = S3Store(BucketConfig.from_env(NOWHERE))
    try:
        with Stubber(store.client) as stub:
            stub.add_response("put_object", {"ETag": '"e1"'})
            store.put_object("box", "k.txt", b"hello")
        assert _ours(exporter) == []
        with pytest.raises(ConnectionFailed):
            store.delete_object("box", "k.txt")
        assert [s.name for s in _ours(exporter)] == ["S3.DeleteObject"]
        assert not trace.get_current_span().get_span_context().is_valid
    finally:
        store.close()


def test_suppressed_instrumentation_gives_no_span(store: S3Store, exporter: Any) -> None:
    """Inside ``suppress_instrumentation()`` no route makes a span; outside, the same
    call has its span."""
    utils = pytest.importorskip("opentelemetry.instrumentation.utils")
    with utils.suppress_instrumentation(), pytest.raises(ConnectionFailed):
        store.put_object("box", "k.txt", b"hello")
    assert _ours(exporter) == []
    with pytest.raises(ConnectionFailed):
        store.put_object("box", "k.txt", b"hello")
    assert [s.name for s in _ours(exporter)] == ["S3.PutObject"]


def test_without_opentelemetry_nothing_is_registered() -> None:
    """Without the package (its import fails) the store has no spans and no tracing
    handler on its client: no cost but one failed import a process."""
    code = f"""
import sys
sys.modules["opentelemetry"] = None  # as if not installed
from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.s3 import botocore_private, tracing
from backend.src.libs.bucket.s3.store import S3Store
store = S3Store(BucketConfig.from_env({NOWHERE!r}))
emitter = botocore_private.event_emitter(store.client.meta.events)
handlers = [
    h for event in ("before-call.s3.PutObject", "after-call.s3.PutObject")
    for h in botocore_private.handlers(emitter, event)
]
assert tracing.api() is None and store._conn.spans is None
assert not any(isinstance(getattr(h, "__self__", None), tracing.Spans) for h in handlers)
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr
