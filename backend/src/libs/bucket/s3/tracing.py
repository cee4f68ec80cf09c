"""OpenTelemetry: one span for each request an ``S3Store`` sends, the same whichever engine
sends it (``docs/architecture.md``, "Tracing").

Spans come from the global tracer provider, when ``opentelemetry-api`` is installed (the
``otel`` extra) and ``BUCKET_TRACING`` is on (the default). They are named and described
as opentelemetry-instrumentation-botocore names its own: ``S3.<Operation>``, kind CLIENT,
``rpc.system=aws-api``, ``rpc.service=S3``, ``rpc.method``, ``cloud.region``,
``server.address`` / ``server.port`` (of the boto3 client's endpoint), and where the
operation has them ``aws.s3.bucket``, ``aws.s3.key`` (as sent, prefix included),
``aws.s3.copy_source``, ``aws.s3.upload_id``, ``aws.s3.part_number``; where the engine
reports them ``aws.request_id``, ``aws.extended_request_id``, ``http.status_code``. A
failed request has status ERROR described by its S3 error code, also its ``error.type``
(as ``s3.errors.translate`` names it).

Senders: obstore's requests and the signed HEAD are wrapped in ``Spans.request`` (an
obstore multipart upload is one span, ``S3.MultipartUpload``); botocore's get handlers on
the client's events (``install``: ``before-call`` starts the span, ``after-call`` /
``after-call-error`` end it; a call a ``Stubber`` answers gets none; a client handed to
the store gets no handlers). Spans are never made current. With
opentelemetry-instrumentation-botocore active, botocore's requests are its spans and
``before-call`` only adds the ``aws.s3.*`` attributes: no request is traced twice. A
context where instrumentation is suppressed gets no span.

Cost: nothing without the package or with ``BUCKET_TRACING=false`` (no handler; ``request``
is a shared null context). Thread-safety: a ``Spans`` may be shared by any threads and
event loops.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from backend.src.libs.bucket.s3.errors import translate

SCOPE: Final = "backend.src.libs.bucket"
"""The instrumentation scope (tracer name) of this module's spans."""

_PARAMS = "bucket.tracing.params"  # keys of botocore's request context
_SPAN = "bucket.tracing.span"


class _Api:
    """opentelemetry's names this module uses, imported once (``api``)."""

    def __init__(self) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.tracer = trace.get_tracer(SCOPE)  # a proxy until a provider is set
        self.current_span = trace.get_current_span
        self.client = SpanKind.CLIENT
        self.status = Status
        self.error = StatusCode.ERROR
        try:  # opentelemetry-instrumentation (beside any instrumentation package)
            from opentelemetry.instrumentation.utils import (
                is_http_instrumentation_enabled,
                is_instrumentation_enabled,
            )
        except ImportError:  # no instrumentation installed: nothing suppresses, nothing traces
            self.enabled = self.unowned = _always
        else:
            self.enabled = is_instrumentation_enabled
            self.unowned = is_http_instrumentation_enabled


def _always() -> bool:
    return True


@functools.cache
def api() -> _Api | None:
    """opentelemetry's API, or None when it is not installed (found out once a process)."""
    try:
        return _Api()
    except ImportError:
        return None


def spans_for(enabled: bool, region: str, endpoint_url: str | None) -> Spans | None:
    """The ``Spans`` of a client, or None when tracing is off (``BUCKET_TRACING``) or
    opentelemetry is not installed."""
    if not enabled:
        return None
    found = api()
    return None if found is None else Spans(found, region, endpoint_url)


_NULL: Final = contextlib.nullcontext()


def request(
    spans: Spans | None, operation: str, bucket: str, key: str | None = None
) -> contextlib.AbstractContextManager[object]:
    """``spans.request``, or a shared null context when ``spans`` is None (tracing off)."""
    return _NULL if spans is None else spans.request(operation, bucket, key)


def s3_attributes(params: Mapping[str, object]) -> dict[str, str | int]:
    """The semantic conventions' ``aws.s3.*`` attributes of an S3 call's parameters
    (boto3's: ``Bucket``, ``Key``, ``CopySource``, ``UploadId``, ``PartNumber``)."""
    found: dict[str, str | int] = {}
    for name, attribute in (
        ("Bucket", "aws.s3.bucket"),
        ("Key", "aws.s3.key"),
        ("UploadId", "aws.s3.upload_id"),
    ):
        value = params.get(name)
        if isinstance(value, str):
            found[attribute] = value
    part = params.get("PartNumber")
    if isinstance(part, int):
        found["aws.s3.part_number"] = part
    source = params.get("CopySource")
    if isinstance(source, Mapping):
        found["aws.s3.copy_source"] = f"{source.get('Bucket')}/{source.get('Key')}"
    elif isinstance(source, str):
        found["aws.s3.copy_source"] = source.lstrip("/")
    return found


class Spans:
    """The spans of one store's requests: the tracer (``otel``: ``api()``) and what every
    span says of the client (``rpc.*``, ``cloud.region``, ``server.*`` of ``endpoint_url``,
    port 443 when it names none, as the instrumentation says)."""

    def __init__(self, otel: _Api, region: str, endpoint_url: str | None) -> None:
        self.otel = otel
        base: dict[str, str | int] = {
            "rpc.system": "aws-api",
            "rpc.service": "S3",
            "cloud.region": region,
        }
        url = urlsplit(endpoint_url or "")
        if url.hostname:
            base["server.address"] = url.hostname
            base["server.port"] = url.port or 443
        self._base = base

    def start_span(self, operation: str, s3: Mapping[str, str | int]) -> Any:
        """Start the span ``S3.<operation>`` (not made current) with every attribute of the
        client and the ``aws.s3.*`` ones given."""
        return self.otel.tracer.start_span(
            f"S3.{operation}",
            kind=self.otel.client,
            attributes={**self._base, "rpc.method": operation, **s3},
        )

    def request(self, operation: str, bucket: str, key: str | None = None) -> _Request:
        """A span ``S3.<operation>`` around one request of ``bucket`` (and ``key``); a
        failure raised in the block is recorded and raised on."""
        s3: dict[str, str | int] = {"aws.s3.bucket": bucket}
        if key is not None:
            s3["aws.s3.key"] = key
        return _Request(self, operation, s3)

    # ------------------------------------------------------------ botocore's route
    def keep_params(
        self, params: Mapping[str, object], context: dict[str, object], **_: object
    ) -> None:
        """``before-parameter-build.s3``: keep the call's parameters for ``start``."""
        context[_PARAMS] = params

    def start(self, model: Any, context: dict[str, object], **_: object) -> None:
        """``before-call.s3`` (last): start the call's span, unless an instrumentation
        already traces it (then add the ``aws.s3.*`` attributes to its span)."""
        otel = self.otel
        if not otel.enabled():
            return
        params = context.get(_PARAMS)
        s3 = s3_attributes(params) if isinstance(params, Mapping) else {}
        if not otel.unowned():
            current = otel.current_span()
            if current.is_recording():
                current.set_attributes(s3)
            return
        context[_SPAN] = self.start_span(str(model.name), s3)

    def end(
        self,
        http_response: Any,
        parsed: Mapping[str, Any],
        model: Any,
        context: dict[str, object],
        **_: object,
    ) -> None:
        """``after-call.s3`` (first): the answer's ids and status; end the span."""
        span: Any = context.pop(_SPAN, None)
        if span is None:
            return
        meta = parsed.get("ResponseMetadata") or {}
        _answer(span, meta.get("HTTPStatusCode"), meta.get("RequestId"), meta.get("HostId"))
        status = getattr(http_response, "status_code", 200)
        if isinstance(status, int) and status >= 300:
            from botocore.exceptions import ClientError

            error = ClientError(dict(parsed), str(model.name))  # type: ignore[arg-type]
            self.record_failure(span, error, _key(context))
        span.end()

    def failed(self, exception: BaseException, context: dict[str, object], **_: object) -> None:
        """``after-call-error.s3`` (first): no answer; record the failure, end the span."""
        span: Any = context.pop(_SPAN, None)
        if span is None:
            return
        self.record_failure(span, exception, _key(context))
        span.end()

    def record_failure(self, span: Any, exc: BaseException, key: object) -> None:
        """Status ERROR, ``error.type`` and what the answer said, from ``translate``."""
        try:
            error = translate(exc, key=key if isinstance(key, str) else None)
        except Exception:  # never let tracing turn one error into another
            code, status, request_id = type(exc).__name__, None, None
        else:
            code, status, request_id = (
                error.code or type(exc).__name__,
                error.status,
                error.request_id,
            )
        span.set_attribute("error.type", code)
        _answer(span, status, request_id, None)
        span.set_status(self.otel.status(self.otel.error, code))


def _key(context: dict[str, object]) -> object:
    """The ``Key`` parameter of a botocore call (``keep_params``), if any."""
    params = context.get(_PARAMS)
    return params.get("Key") if isinstance(params, Mapping) else None


def _answer(span: Any, status: object, request_id: object, extended_id: object) -> None:
    """The answer's attributes that are known."""
    if isinstance(status, int):
        span.set_attribute("http.status_code", status)
    if isinstance(request_id, str) and request_id:
        span.set_attribute("aws.request_id", request_id)
    if isinstance(extended_id, str) and extended_id:
        span.set_attribute("aws.extended_request_id", extended_id)


class _Request:
    """``Spans.request``: a span around a block (not made current)."""

    __slots__ = ("_operation", "_s3", "_span", "_spans")

    def __init__(self, spans: Spans, operation: str, s3: dict[str, str | int]) -> None:
        self._spans = spans
        self._operation = operation
        self._s3 = s3
        self._span: Any = None

    def __enter__(self) -> object:
        spans = self._spans
        if spans.otel.enabled():
            self._span = spans.start_span(self._operation, self._s3)
        return self._span

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        span = self._span
        if span is None:
            return
        if exc is not None:
            self._spans.record_failure(span, exc, self._s3.get("aws.s3.key"))
        span.end()


def install(client: Any, spans: Spans) -> None:
    """Register the handlers of botocore's route on ``client`` (see the module doc)."""
    events = client.meta.events
    events.register(
        "before-parameter-build.s3", spans.keep_params, unique_id="bucket.tracing.params"
    )
    events.register_last("before-call.s3", spans.start, unique_id="bucket.tracing.start")
    events.register_first("after-call.s3", spans.end, unique_id="bucket.tracing.end")
    events.register_first("after-call-error.s3", spans.failed, unique_id="bucket.tracing.failed")
