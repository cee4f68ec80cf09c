"""OpenTelemetry sees every request, whatever the engine (issue 23 item 7).

Every request a store sends gets exactly one span from the global tracer provider, named
and described as opentelemetry-instrumentation-botocore names its spans (``S3.PutObject``,
``rpc.system=aws-api``, ``rpc.service=S3``, ``rpc.method``), plus the semantic
conventions' ``aws.s3.bucket`` / ``aws.s3.key`` / ``aws.s3.copy_source``: the same on the
default engine (obstore, the signed HEAD) and on ``BUCKET_ENGINE=boto3``, and still one per
request when that instrumentation is active too. Requests are counted at a proxy in front
of Ceph (``tests/faults/proxy.py``: one connection and one entry per request); spans are
collected by the SDK's in-memory exporter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from backend.src.libs.bucket import AsyncBucket, BucketConfig
from backend.src.libs.bucket.s3 import tracing
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.faults.proxy import FaultProxy
from tests.otel import memory_exporter
from tests.servers import S3Server

pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

# what an answer adds where the engine reports it (botocore: every answer; obstore: errors)
ANSWER = {"aws.request_id", "aws.extended_request_id", "http.status_code", "retry_attempts"}
METHOD = {
    "PutObject": "PUT",
    "GetObject": "GET",
    "HeadObject": "HEAD",
    "ListObjectsV2": "GET",
    "CopyObject": "PUT",
    "DeleteObject": "DELETE",
}


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """The SDK's in-memory exporter on the global tracer provider (``tests/otel.py``)."""
    found: InMemorySpanExporter = memory_exporter()
    found.clear()
    return found


@pytest.fixture
def proxy(ceph_server: S3Server) -> Iterator[FaultProxy]:
    """A proxy in front of Ceph: it counts the requests."""
    found = FaultProxy(ceph_server.endpoint).start()
    yield found
    found.stop()


@pytest.fixture
def bucket(ceph_server: S3Server) -> Iterator[str]:
    """A fresh bucket (made by a store with tracing off)."""
    direct = S3Store(config_for(ceph_server, tracing=False))
    name = unique_bucket_name("trace")
    direct.create_bucket(name)
    yield name
    with contextlib.suppress(Exception):
        direct.delete_bucket(name, force=True)
    direct.close()


def _config(server: S3Server, proxy: FaultProxy, engine: str, **overrides: object) -> BucketConfig:
    return config_for(server, endpoint_url=proxy.endpoint, engine=engine, **overrides)


def _calls(store: S3Store, bucket: str) -> None:
    """put, get, head, exists (found and missing), list, copy and delete."""
    store.put_object(bucket, "k.txt", b"hello")
    assert store.get_object(bucket, "k.txt") == b"hello"
    assert store.head_object(bucket, "k.txt").size == 5
    assert store.object_exists(bucket, "k.txt")
    assert not store.object_exists(bucket, "missing.txt")
    assert [o.key for o in store.list_objects(bucket)] == ["k.txt"]
    store.copy_object(bucket, "k.txt", bucket, "copy.txt")
    store.delete_object(bucket, "k.txt")
    store.delete_object(bucket, "copy.txt")


def _described(span: Any) -> tuple[str, dict[str, object], str]:
    """A span's name, its attributes but the answer's, and its status."""
    attributes = {k: v for k, v in dict(span.attributes).items() if k not in ANSWER}
    return span.name, attributes, span.status.status_code.name


def _run(
    exporter: InMemorySpanExporter, proxy: FaultProxy, config: BucketConfig, bucket: str
) -> list[Any]:
    """The spans of ``_calls`` on a new store, checked one per request at the proxy."""
    store = S3Store(config)
    try:
        _ = store.client
        exporter.clear()
        proxy.requests.clear()
        _calls(store, bucket)
    finally:
        store.close()
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time)
    requests = list(proxy.requests)
    assert len(spans) == len(requests), (
        [s.name for s in spans],
        [(r.method, r.target) for r in requests],
    )
    for span, request in zip(spans, requests, strict=True):
        assert METHOD[span.attributes["rpc.method"]] == request.method, (span.name, request)
    return spans


def test_same_spans_on_both_engines(
    exporter: InMemorySpanExporter, proxy: FaultProxy, ceph_server: S3Server, bucket: str
) -> None:
    """put/get/head/exists/list/copy/delete give one span per request on the default engine
    (obstore and the signed HEAD) and on boto3, with the same names, attributes and status
    (the instrumentation's names and ``rpc.*``, ``cloud.region``, ``server.*``, and the
    ``aws.s3.*`` of the semantic conventions). Before: no span at all."""
    default = _run(exporter, proxy, _config(ceph_server, proxy, "auto"), bucket)
    boto3 = _run(exporter, proxy, _config(ceph_server, proxy, "boto3"), bucket)
    assert [_described(s) for s in default] == [_described(s) for s in boto3]
    names = [s.name for s in default]
    assert names == [
        "S3.PutObject",
        "S3.GetObject",
        "S3.HeadObject",
        "S3.HeadObject",
        "S3.HeadObject",
        "S3.ListObjectsV2",
        "S3.CopyObject",
        "S3.DeleteObject",
        "S3.DeleteObject",
    ]
    put = dict(default[0].attributes)
    port = int(proxy.endpoint.rsplit(":", 1)[1])
    assert put == {
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": "PutObject",
        "cloud.region": ceph_server.region,
        "server.address": "127.0.0.1",
        "server.port": port,
        "aws.s3.bucket": bucket,
        "aws.s3.key": "k.txt",
    }
    assert default[0].kind == trace.SpanKind.CLIENT
    assert default[0].instrumentation_scope.name == tracing.SCOPE
    assert dict(default[6].attributes)["aws.s3.copy_source"] == f"{bucket}/k.txt"
    for missing in (default[4], boto3[4]):
        assert missing.status.status_code.name == "ERROR"
        assert missing.attributes["error.type"] == "NoSuchKey"
        assert missing.attributes["http.status_code"] == 404
    assert "aws.s3.key" not in dict(default[5].attributes)  # a listing has no key


def test_one_span_per_request_with_the_botocore_instrumentation(
    exporter: InMemorySpanExporter, proxy: FaultProxy, ceph_server: S3Server, bucket: str
) -> None:
    """With opentelemetry-instrumentation-botocore active too, every request still has
    exactly one span on both engines: botocore's requests the instrumentation's (with the
    ``aws.s3.*`` attributes added), obstore's and the signed HEAD's this library's; the
    names and attributes still match across engines."""
    instrumentation = pytest.importorskip("opentelemetry.instrumentation.botocore")
    instrumentor = instrumentation.BotocoreInstrumentor()
    instrumentor.instrument()
    try:
        default = _run(exporter, proxy, _config(ceph_server, proxy, "auto"), bucket)
        boto3 = _run(exporter, proxy, _config(ceph_server, proxy, "boto3"), bucket)
    finally:
        instrumentor.uninstrument()
    scopes = {s.instrumentation_scope.name for s in boto3}
    assert scopes == {"opentelemetry.instrumentation.botocore"}, scopes
    assert tracing.SCOPE in {s.instrumentation_scope.name for s in default}
    assert [s.name for s in default] == [s.name for s in boto3]
    for ours, theirs in zip(default, boto3, strict=True):
        mine = {k: v for k, v in _described(ours)[1].items() if k != "error.type"}
        assert mine.items() <= dict(theirs.attributes).items(), (ours.name, mine, theirs)


def test_the_async_twins_are_traced(
    exporter: InMemorySpanExporter, proxy: FaultProxy, ceph_server: S3Server, bucket: str
) -> None:
    """``AsyncBucket``'s calls on the event loop (obstore's async twins) get one span per
    request, as the sync calls do."""

    async def calls(config: BucketConfig) -> None:
        async with AsyncBucket(config=config) as facade:
            assert await facade.upload_stream(bucket, b"async", "a.txt") == facade.success
            exporter.clear()
            proxy.requests.clear()
            assert await facade.upload_stream(bucket, b"async", "a.txt") == facade.success
            assert await facade.download_stream(bucket, "a.txt") == b"async"
            assert await facade.file_exists(bucket, "a.txt") is True
            assert await facade.delete_file(bucket, "a.txt") == facade.success

    asyncio.run(calls(_config(ceph_server, proxy, "auto")))
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time)
    assert [s.name for s in spans] == [
        "S3.PutObject",
        "S3.GetObject",
        "S3.HeadObject",
        "S3.DeleteObject",
    ]
    assert len(proxy.requests) == len(spans)
    assert {s.instrumentation_scope.name for s in spans} == {tracing.SCOPE}


@pytest.mark.parametrize("engine", ["auto", "boto3"])
def test_the_setting_turns_tracing_off(
    exporter: InMemorySpanExporter,
    proxy: FaultProxy,
    ceph_server: S3Server,
    bucket: str,
    engine: str,
) -> None:
    """``BUCKET_TRACING=false``: the requests still go, no span is made (beside a store
    with the setting on, whose same calls have their spans)."""
    on = _run(exporter, proxy, _config(ceph_server, proxy, engine), bucket)
    assert len(on) == 9
    store = S3Store(_config(ceph_server, proxy, engine, tracing=False))
    try:
        exporter.clear()
        proxy.requests.clear()
        _calls(store, bucket)
    finally:
        store.close()
    assert len(proxy.requests) == 9
    assert exporter.get_finished_spans() == ()
