"""HeadObject signed here (``sigv4``) and sent on the boto3 client's own connection pool.

A HEAD through botocore costs ~1.1 ms of client CPU (its event hooks, serialisation,
endpoint rules, signer and response parser), ten times obstore's; obstore's HEAD cannot
stand in, because it does not report ``x-amz-storage-class`` (``ObjectInfo`` carries
it). What a HEAD needs is small: a signature (``sigv4.authorization``, ~5 us) and the
answer's headers. So this module sends ``HEAD {endpoint}/{bucket}/{key}``, signed in its
headers, through the client's HTTP session (``client._endpoint.http_session``):
the same connection pool, TLS settings, proxies and per-attempt deadlines
(``deadline.install``) as every other request of the store, and none of the per-request
machinery. ``S3Store`` uses it where ``sigv4`` signs (a custom path-style endpoint, a
session of its own) and the call needs nothing else (no SSE-C key): AWS endpoints, with
their region redirects, keep botocore's HEAD.

What it keeps from botocore: errors are botocore's ``ClientError`` with the code
botocore gives a HEAD (the status as text, ``404``), the status and the request id, so
``errors.translate`` reads them as it reads botocore's; transport failures are botocore's
own exceptions (raised by its HTTP session); retries follow botocore's standard mode
(``BUCKET_MAX_RETRIES`` more attempts after a connection error, a timeout, 429 or 5xx,
waiting ``random() * 2 ** attempt`` seconds, at most 20, between them).

Thread-safety: ``head`` may be called from any thread (the HTTP session is shared, as
botocore shares it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

from backend.src.libs.bucket import sigv4

RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
_META = "x-amz-meta-"


def http_session(client: Any) -> Any | None:
    """The HTTP session ``client`` sends its requests with, or None when this botocore
    keeps it elsewhere (the caller then uses ``client.head_object``)."""
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    return session if callable(getattr(session, "send", None)) else None


def head(
    session: Any,
    endpoint: str,
    credentials: sigv4.Credentials,
    region: str,
    path: str,
    *,
    version_id: str | None,
    max_retries: int,
) -> Mapping[str, str]:
    """One HeadObject on ``{endpoint}/{path}`` (``bucket/key``); its headers, names in
    lower case.

    Raises:
        botocore.exceptions.ClientError: the server answered 3xx/4xx/5xx (after retries
            for 429 and 5xx); its ``Error.Code`` is the status, as botocore's.
        botocore.exceptions.BotoCoreError: the connection failed on every attempt.
    """
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    retried = (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )
    query = {"versionId": version_id} if version_id is not None else None
    attempt = 0
    while True:
        url, headers = sigv4.authorization(
            endpoint, credentials, region, path, method="HEAD", query=query
        )
        headers["User-Agent"] = "bucket"
        # prepared as is: the URL is already quoted and the headers a plain dict (botocore's
        # AWSRequest.prepare would copy them into its case-insensitive mapping, ~30 us)
        # (the session reads them with .get() and iteration, as a dict allows)
        request = AWSPreparedRequest("HEAD", url, cast(Any, headers), None, stream_output=False)
        try:
            response = session.send(request)
        except retried:
            if attempt >= max_retries:
                raise
        else:
            if response.status_code < 300:
                return {name.lower(): value for name, value in response.headers.items()}
            if response.status_code not in RETRIED_STATUS or attempt >= max_retries:
                raise _client_error(response.status_code, response.headers, attempt)
        time.sleep(min(20.0, random.random() * 2**attempt))
        attempt += 1


def _client_error(status: int, headers: Mapping[str, str], retries: int) -> Exception:
    """botocore's ``ClientError`` for a HEAD answered ``status`` (a HEAD has no body: the
    code is the status as text, as botocore makes it)."""
    from botocore.exceptions import ClientError

    request_id = headers.get("x-amz-request-id") or headers.get("X-Amz-Request-Id")
    reason = {301: "Moved Permanently", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
    return ClientError(
        {
            "Error": {"Code": str(status), "Message": reason.get(status, "")},
            "ResponseMetadata": {
                "HTTPStatusCode": status,
                "RequestId": request_id or "",
                "HostId": headers.get("x-amz-id-2", ""),
                "HTTPHeaders": {k.lower(): v for k, v in headers.items()},
                "RetryAttempts": retries,
            },
        },
        "HeadObject",
    )


def last_modified(headers: Mapping[str, str]) -> datetime | None:
    """The ``Last-Modified`` header as an aware UTC datetime (None when absent)."""
    value = headers.get("last-modified")
    return parsedate_to_datetime(value) if value else None


def metadata(headers: Mapping[str, str]) -> dict[str, str]:
    """The user metadata (``x-amz-meta-*``), names without the prefix, as botocore gives
    them."""
    return {name[len(_META) :]: value for name, value in headers.items() if name.startswith(_META)}


def as_head_object(headers: Mapping[str, str]) -> dict[str, Any]:
    """The fields of botocore's ``head_object`` answer that ``ObjectInfo`` reads, from the
    headers of a signed HEAD (``ContentLength``, ``ETag``, ``LastModified``,
    ``ContentType``, ``Metadata``, ``StorageClass`` and ``VersionId``; absent ones left
    out, as botocore leaves them out)."""
    answer: dict[str, Any] = {
        "ContentLength": int(headers.get("content-length", "0")),
        "Metadata": metadata(headers),
    }
    for field, name in (
        ("ETag", "etag"),
        ("ContentType", "content-type"),
        ("StorageClass", "x-amz-storage-class"),
        ("VersionId", "x-amz-version-id"),
    ):
        if name in headers:
            answer[field] = headers[name]
    modified = last_modified(headers)
    if modified is not None:
        answer["LastModified"] = modified
    return answer
