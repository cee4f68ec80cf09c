"""HeadObject signed here (``sigv4``) and sent on the boto3 client's own connection pool.

A HEAD through botocore costs ~0.8 ms of client CPU (hooks, serialisation, endpoint
rules, signer, parser); obstore's HEAD does not report ``x-amz-storage-class``. So this
module sends ``HEAD {endpoint}/{bucket}/{key}``, signed in its headers
(``sigv4.authorization``, ~5 us), through the client's HTTP session
(``botocore_private.http_session``): the same pool, TLS settings, proxies and attempt
deadlines as every other request of the store. ``S3Store`` uses it where ``sigv4`` signs
(a custom path-style endpoint) and the call needs nothing else (no SSE-C key, not the
adaptive retry mode, whose rate limiter gates botocore's own sends).

Retries stay botocore's (``docs/reliability.md``): each attempt's answer or exception goes
to the client's ``needs-retry.s3.HeadObject`` handlers as botocore's endpoint hands it
(a 2xx answer, which none retries, ends the loop without asking: ~10 us), and the call
ends with ``after-call`` (or ``after-call-error``). Errors are botocore's ``ClientError``
with the code botocore gives a HEAD (the status as text), so ``s3.errors.translate``
reads them as botocore's.

Thread-safety: ``head`` may be called from any thread.
"""

from __future__ import annotations

import http.client
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, cast

from backend.src.libs.bucket.s3 import botocore_private, sigv4, tracing

_META = "x-amz-meta-"
_EVENT = "s3.HeadObject"


@dataclass(frozen=True)
class Route:
    """What a signed HEAD uses of a boto3 client: its HTTP session, its botocore
    ``Endpoint`` (passed to ``needs-retry``), ``meta.events``, the ``HeadObject``
    operation model and the endpoint URL."""

    session: Any
    endpoint: Any
    events: Any
    operation: Any
    url: str


_ROUTES: weakref.WeakKeyDictionary[Any, Route] = weakref.WeakKeyDictionary()
"""Each client's ``Route``, kept while the client lives (building one costs ~2 us)."""


def route(client: Any) -> Route | None:
    """What ``client`` lends a signed HEAD, or None when this botocore keeps its endpoint
    or HTTP session elsewhere (``botocore_private``; the caller then uses
    ``client.head_object``). Thread-safe (two threads may build the same route once each)."""
    found = _ROUTES.get(client)
    if found is not None:
        return found
    endpoint = botocore_private.endpoint(client)
    session = botocore_private.http_session(client) if endpoint is not None else None
    if session is None:
        return None
    meta = client.meta
    operation = meta.service_model.operation_model("HeadObject")
    found = _ROUTES[client] = Route(session, endpoint, meta.events, operation, meta.endpoint_url)
    return found


def head(
    route: Route,
    credentials: sigv4.Credentials,
    region: str,
    path: str,
    *,
    version_id: str | None,
    spans: tracing.Spans | None = None,
) -> Mapping[str, str]:
    """One HeadObject on ``{route.url}/{path}`` (``bucket/key``), retried as the client's
    retry handlers decide, in one span with ``spans``; its headers, names in lower case.

    Raises:
        botocore.exceptions.ClientError: the server answered 3xx/4xx/5xx (after the
            retries); its ``Error.Code`` is the status, as botocore's.
        botocore.exceptions.BotoCoreError: the connection failed on every attempt.
    """
    bucket, _, key = path.partition("/")
    query = {"versionId": version_id} if version_id is not None else None
    # tells botocore's region redirector not to redirect (the endpoint is not AWS's)
    context: dict[str, Any] = {
        "s3_redirect": {"redirected": True, "bucket": bucket, "params": {"Bucket": bucket}}
    }
    with tracing.request(spans, "HeadObject", bucket, key):
        attempts = 1
        while True:
            url, headers = sigv4.authorization(
                route.url, credentials, region, path, method="HEAD", query=query
            )
            answer, failure = _send(route, url, headers)
            parsed = _parsed(answer) if answer is not None else None
            if answer is not None and answer.status_code < 300:
                break  # no need to ask: see the module doc
            if not _needs_retry(route, context, attempts, answer, parsed, failure):
                break
            attempts += 1
        if parsed is None:  # no answer: the last attempt raised ``failure``
            route.events.emit(f"after-call-error.{_EVENT}", exception=failure, context=context)
            raise cast(Exception, failure)
        parsed["ResponseMetadata"]["RetryAttempts"] = attempts - 1
        route.events.emit(
            f"after-call.{_EVENT}",
            http_response=answer,
            parsed=parsed,
            model=route.operation,
            context=context,
        )
        if answer.status_code >= 300:
            from botocore.exceptions import ClientError

            raise ClientError(parsed, "HeadObject")  # type: ignore[arg-type]
        return cast("dict[str, str]", parsed["ResponseMetadata"]["HTTPHeaders"])


def _send(route: Route, url: str, headers: dict[str, str]) -> tuple[Any, Exception | None]:
    """One attempt: the answer, or the exception in its place (botocore's endpoint hands
    every exception of a send to ``needs-retry``, which decides)."""
    from botocore.awsrequest import AWSPreparedRequest

    headers["User-Agent"] = "bucket"
    # prepared as is: the URL is quoted and a plain dict of headers serves the session
    # (botocore's AWSRequest.prepare would copy them into its own mapping, ~30 us)
    request = AWSPreparedRequest("HEAD", url, cast(Any, headers), None, stream_output=False)
    try:
        return route.session.send(request), None
    except Exception as exc:  # as botocore's endpoint: the retry handlers judge it
        return None, exc


def _parsed(answer: Any) -> dict[str, Any]:
    """What botocore's parser makes of a HEAD answer for the retry handlers: its
    ``ResponseMetadata`` and, for a status of 300 or more, the ``Error`` botocore gives
    a bodiless answer (the status as the code, its reason as the message)."""
    headers = {name.lower(): value for name, value in answer.headers.items()}
    status = answer.status_code
    metadata: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": headers}
    if status < 500:  # botocore reads a bodiless 5xx as a generic error, without ids
        metadata["RequestId"] = headers.get("x-amz-request-id", "")
        metadata["HostId"] = headers.get("x-amz-id-2", "")
    parsed: dict[str, Any] = {"ResponseMetadata": metadata}
    if status >= 300:
        parsed["Error"] = {"Code": str(status), "Message": http.client.responses.get(status, "")}
    return parsed


def _needs_retry(
    route: Route,
    context: dict[str, Any],
    attempts: int,
    answer: Any,
    parsed: dict[str, Any] | None,
    failure: Exception | None,
) -> bool:
    """Ask the client's ``needs-retry`` handlers about attempt ``attempts`` and sleep the
    delay they give, as botocore's endpoint does; True when they ask for another one."""
    from botocore.hooks import first_non_none_response

    responses = route.events.emit(
        f"needs-retry.{_EVENT}",
        response=None if answer is None else (answer, parsed),
        endpoint=route.endpoint,
        operation=route.operation,
        attempts=attempts,
        caught_exception=failure,
        request_dict={"context": context},
    )
    delay = first_non_none_response(responses)
    if delay is None or delay is False:
        return False
    time.sleep(delay)
    return True


def as_head_object(headers: Mapping[str, str]) -> dict[str, Any]:
    """The fields of botocore's ``head_object`` answer that ``ObjectInfo`` reads, from the
    headers of a signed HEAD (absent ones left out, as botocore leaves them out)."""
    answer: dict[str, Any] = {
        "ContentLength": int(headers.get("content-length", "0")),
        "Metadata": {n[len(_META) :]: v for n, v in headers.items() if n.startswith(_META)},
    }
    for field, name in (
        ("ETag", "etag"),
        ("ContentType", "content-type"),
        ("StorageClass", "x-amz-storage-class"),
        ("VersionId", "x-amz-version-id"),
    ):
        if name in headers:
            answer[field] = headers[name]
    modified = headers.get("last-modified")
    if modified:  # an aware UTC datetime, as botocore gives it
        answer["LastModified"] = parsedate_to_datetime(modified)
    return answer
