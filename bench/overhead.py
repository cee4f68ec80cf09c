"""What the ``Bucket`` facade adds over its store, and what tracing adds to a request, in
client CPU per call, with no I/O.

The facade is given a store whose ``put_object`` / ``get_object`` / ``head_object``
return a result recorded once (a ``LocalStore`` subclass, so every capability check
the facade makes sees a real store type). The same calls are made directly on that
store and through the facade, alternating which goes first, and the difference of the
medians is the facade's own cost: its return codes, logging, ``last_error`` and
option handling, without a server's noise.

``tracing_overhead_us`` does the same for the OpenTelemetry spans of ``s3.tracing``: the
obstore route's calls on obstore's in-memory store, and botocore's route's events (the
handlers that make its spans), each with tracing off and with the API alone (no provider)
or an SDK provider.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

BUCKET = "overhead"
KEY = "k"
DATA = b"x" * 4096


def _null_store(root: str) -> Any:
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.local.store import LocalStore

    class NullStore(LocalStore):
        """Answers put/get/head with results recorded from one real call."""

        def __init__(self, config: BucketConfig) -> None:
            super().__init__(config)
            self.create_bucket(BUCKET, exist_ok=True)
            self._put = super().put_object(BUCKET, KEY, DATA)
            self._get = super().get_object(BUCKET, KEY)
            self._head = super().head_object(BUCKET, KEY)

        def put_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._put

        def get_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._get

        def head_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._head

    return NullStore(BucketConfig.from_env({"STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": root}))


def _cpu_us(fn: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls * 1e6


def _pairs(store: Any, bucket: Any) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """(direct on the store, through the facade) for each operation."""
    return {
        "PUT": (lambda: store.put_object(BUCKET, KEY, DATA),
                lambda: bucket.upload_stream(BUCKET, DATA, KEY)),
        "GET": (lambda: store.get_object(BUCKET, KEY, start=None, end=None),
                lambda: bucket.download_stream(BUCKET, KEY)),
        "HEAD": (lambda: store.head_object(BUCKET, KEY),
                 lambda: bucket.get_file_info(BUCKET, KEY)),
    }


def facade_overhead_us(rounds: int = 5, calls: int = 5000) -> dict[str, float]:
    """Median CPU µs per call the facade adds over its store, for PUT, GET and HEAD."""
    from backend.src.libs.bucket import Bucket

    with tempfile.TemporaryDirectory() as root:
        store = _null_store(root)
        bucket = Bucket(config=store.config, store=store)
        samples: dict[str, list[float]] = {}
        for op, (direct, facade) in _pairs(store, bucket).items():
            assert facade() != bucket.error, f"{op} through the facade failed"  # and a warm-up
            diffs = []
            for r in range(rounds):
                order = [direct, facade] if r % 2 == 0 else [facade, direct]
                cost = {id(fn): _cpu_us(fn, calls) for fn in order}
                diffs.append(cost[id(facade)] - cost[id(direct)])
            samples[op] = diffs
    return {op: statistics.median(values) for op, values in samples.items()}




# ------------------------------------------------------------------ tracing (issue 23)
TRACING_VARIANTS = ("api", "sdk")
"""``api``: opentelemetry-api with no provider set (its no-op tracer); ``sdk``: an SDK
``TracerProvider`` with a ``BatchSpanProcessor`` whose exporter drops the spans."""


def _otel_variants() -> dict[str, Any]:
    """``s3.tracing``'s API object per variant (the ``sdk`` one on a provider of its own,
    so the process's global provider is left as it is)."""
    import copy

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from backend.src.libs.bucket.s3 import tracing

    class Dropping(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    base = tracing.api()
    assert base is not None, "opentelemetry-api is not installed"
    api = copy.copy(base)
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        api.tracer = trace.NoOpTracerProvider().get_tracer(tracing.SCOPE)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropping()))
    sdk = copy.copy(base)
    sdk.tracer = provider.get_tracer(tracing.SCOPE)
    return {"api": api, "sdk": sdk}


def _memory_plane(spans: Any) -> Any:
    """An ``ObstorePlane`` on obstore's in-memory store: the plane's own code and obstore's
    call, no I/O."""
    from obstore.store import MemoryStore

    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.s3.obstore import ObstorePlane

    class MemoryPlane(ObstorePlane):
        def __init__(self) -> None:
            config = BucketConfig.from_env({"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
            super().__init__(config, None, None, spans=spans)  # type: ignore[arg-type]
            self._memory = MemoryStore()

        def store(self, bucket: str) -> Any:
            return self._memory

    return MemoryPlane()


def _botocore_events(spans: Any, operation: str) -> Callable[[], object]:
    """One call's events on botocore's route (``before-parameter-build``, ``before-call``,
    ``after-call``), emitted on an emitter holding only ``s3.tracing``'s handlers (none
    with ``spans`` None): their own cost with botocore's dispatch, without the ~400 µs of
    botocore's request path around them, whose noise would hide it."""
    from types import SimpleNamespace

    import botocore.session
    from botocore.hooks import HierarchicalEmitter

    from backend.src.libs.bucket.s3 import tracing

    model = botocore.session.get_session().get_service_model("s3").operation_model(operation)
    events = HierarchicalEmitter()
    if spans is not None:
        tracing.install(SimpleNamespace(meta=SimpleNamespace(events=events)), spans)
    params = {"Bucket": BUCKET, "Key": KEY}
    answer = SimpleNamespace(status_code=200)
    parsed = {"ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "r", "HostId": "h"}}
    names = [f"{event}.s3.{operation}" for event in ("before-parameter-build", "before-call",
                                                     "after-call")]

    def call() -> None:
        context: dict[str, object] = {}
        events.emit(names[0], params=params, model=model, context=context)
        events.emit(names[1], model=model, params={}, context=context)
        events.emit(names[2], http_response=answer, parsed=parsed, model=model, context=context)

    return call


def tracing_overhead_us(rounds: int = 5, calls: int = 2000) -> dict[str, float]:
    """Median CPU µs per request that this library's spans add, per route, operation and
    variant (``TRACING_VARIANTS``), each against the same calls with tracing off (what a
    process without opentelemetry runs: ``s3.tracing.request(None, ...)``, a shared null
    context). Keys: ``"obstore PUT sdk"``, ``"botocore GET api"``...; also ``"null
    context"``: what the off switch itself costs per request."""
    from backend.src.libs.bucket.s3 import tracing
    from backend.src.libs.bucket.s3.obstore import ObstoreWrite

    variants = _otel_variants()
    form = ObstoreWrite(attributes={}, tags={})
    planes = {"off": _memory_plane(None)}
    planes.update({name: _memory_plane(tracing.Spans(otel, "us-east-1", None))
                   for name, otel in variants.items()})
    spans = {"off": None, **{name: tracing.Spans(otel, "us-east-1", "http://127.0.0.1:9")
                             for name, otel in variants.items()}}
    operations = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject"}
    table: dict[str, dict[str, dict[str, Callable[[], object]]]] = {
        "obstore": {name: {"PUT": lambda p=plane: p.put(BUCKET, KEY, DATA, form, create=False),
                           "GET": lambda p=plane: p.get(BUCKET, KEY, None),
                           "HEAD": lambda p=plane: p.head(BUCKET, KEY)}
                    for name, plane in planes.items()},
        "botocore": {name: {op: _botocore_events(found, operation)
                            for op, operation in operations.items()}
                     for name, found in spans.items()},
    }
    samples: dict[str, list[float]] = {}
    for route, subjects in table.items():
        for op in operations:
            for name in subjects:
                subjects[name][op]()  # warm-up (and the object the GETs read)
            for variant in variants:
                off, on = subjects["off"][op], subjects[variant][op]
                diffs = []
                for r in range(rounds):
                    order = [off, on] if r % 2 == 0 else [on, off]
                    cost = {id(fn): _cpu_us(fn, calls) for fn in order}
                    diffs.append(cost[id(on)] - cost[id(off)])
                samples[f"{route} {op} {variant}"] = diffs

    def null() -> None:
        with tracing.request(None, "PutObject", BUCKET, KEY):
            pass

    samples["null context"] = [_cpu_us(null, calls * 10) - _cpu_us(lambda: None, calls * 10)
                               for _ in range(rounds)]
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    print(facade_overhead_us())
    for name, us in tracing_overhead_us().items():
        print(f"{name}: {us:.2f} us")
