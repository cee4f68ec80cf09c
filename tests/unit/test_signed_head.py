"""``signed_head``: a HeadObject signed here is retried by the client's own botocore retry
handlers, so it makes the same attempts and ends with the same error as botocore's
``head_object`` for every status and transport failure, in each retry mode (no network:
both are answered by a scripted HTTP layer; the real-server checks are in
``tests/faults/test_retry_policy.py`` and ``tests/integration/test_signed_requests.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from backend.src.libs.bucket.s3 import signed_head, sigv4

ENDPOINT = "http://127.0.0.1:1"
Answer = Callable[[], AWSResponse]


class _Raw:
    """The raw body of a scripted answer (a HEAD has none)."""

    def stream(self, *_: object, **__: object) -> Iterator[bytes]:
        return iter(())

    def read(self, *_: object, **__: object) -> bytes:
        return b""


def _status(code: int) -> Answer:
    def answer() -> AWSResponse:
        headers = HTTPHeaders()
        headers["x-amz-request-id"] = f"req-{code}"
        headers["Content-Length"] = "3"
        return AWSResponse(f"{ENDPOINT}/b/k", code, headers, _Raw())

    return answer


def _raises(exc: Exception) -> Answer:
    def answer() -> AWSResponse:
        raise exc

    return answer


@functools.cache
def _session() -> Any:
    """One boto3 session for every client here (its loader keeps the S3 model read once)."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )


def _client(mode: str, retries: int) -> Any:
    """A fresh client (its own retry quota), sending nowhere unless a test answers."""
    config = Config(
        retries={"total_max_attempts": retries + 1, "mode": mode},  # type: ignore[arg-type]
        s3={"addressing_style": "path"},
    )
    return _session().client("s3", endpoint_url=ENDPOINT, config=config)


class _Session:
    """An HTTP session whose ``send`` gives the scripted answer and counts the calls."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sent = 0

    def send(self, request: object) -> AWSResponse:
        self.sent += 1
        return self.answer()


def _botocore(client: Any, answer: Answer) -> tuple[int, object]:
    """Attempts and outcome of botocore's own head_object, its sends answered by ``answer``."""
    sent: list[int] = []

    def before_send(**_: object) -> AWSResponse:
        sent.append(1)
        return answer()

    client.meta.events.register("before-send.s3.HeadObject", before_send)
    try:
        size = client.head_object(Bucket="b", Key="k")["ContentLength"]
    except Exception as exc:  # the outcome compared
        return len(sent), _outcome(exc)
    finally:
        client.meta.events.unregister("before-send.s3.HeadObject", before_send)
    return len(sent), size


def _signed(client: Any, answer: Answer) -> tuple[int, object]:
    """Attempts and outcome of the signed HEAD on ``client``'s retry handlers."""
    route = signed_head.route(client)
    assert route is not None
    session = _Session(answer)
    route = signed_head.Route(session, route.endpoint, route.events, route.operation, route.url)
    credentials = sigv4.Credentials("AKIDEXAMPLE", "secret", None)
    try:
        headers = signed_head.head(route, credentials, "us-east-1", "b/k", version_id=None)
        return session.sent, int(signed_head.as_head_object(headers)["ContentLength"])
    except Exception as exc:  # the outcome compared
        return session.sent, _outcome(exc)


def _outcome(exc: Exception) -> object:
    if isinstance(exc, ClientError):
        error = exc.response["Error"]
        meta = exc.response["ResponseMetadata"]
        return (
            "ClientError",
            error["Code"],
            error["Message"],
            meta["HTTPStatusCode"],
            meta.get("RequestId"),
            meta["HTTPHeaders"].get("x-amz-request-id"),
        )
    return type(exc).__name__


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff delays are recorded, not slept (botocore's and ours)."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


ANSWERS = {
    "200": _status(200),
    "403": _status(403),
    "404": _status(404),
    "429": _status(429),
    "500": _status(500),
    "501": _status(501),
    "502": _status(502),
    "503": _status(503),
    "504": _status(504),
    "closed": _raises(ConnectionClosedError(endpoint_url=ENDPOINT)),
    "refused": _raises(EndpointConnectionError(endpoint_url=ENDPOINT)),
}


@pytest.mark.parametrize("mode", ["standard", "legacy", "adaptive"])
@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("name", list(ANSWERS))
def test_same_attempts_and_outcome_as_botocore(mode: str, retries: int, name: str) -> None:
    """For every answer and transport failure, the signed HEAD sends as many attempts as
    botocore's head_object and ends as it ends (the size, or the same ClientError code,
    message, status and request id, or the same exception), whatever the mode and budget."""
    ours = _signed(_client(mode, retries), ANSWERS[name])
    theirs = _botocore(_client(mode, retries), ANSWERS[name])
    assert ours == theirs
    assert ours[0] <= retries + 1


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_a_503_spends_the_budget_with_botocores_backoff(mode: str, _no_sleep: list[float]) -> None:
    """503 on every attempt: max_retries + 1 sends, and between them the delays botocore's
    handler computed (one per retry, each within deadline.backoff_bound of its retry)."""
    from backend.src.libs.bucket.s3 import deadline

    sent, outcome = _signed(_client(mode, 3), _status(503))
    assert sent == 4
    assert outcome == ("ClientError", "503", "Service Unavailable", 503, None, "req-503")
    assert len(_no_sleep) == 3
    assert all(0 <= d <= deadline.backoff_bound(mode, i) for i, d in enumerate(_no_sleep))


@pytest.mark.parametrize(("status", "reason"), [(301, "Moved Permanently"), (400, "Bad Request")])
def test_no_region_redirect_is_followed(status: int, reason: str) -> None:
    """A 301 or 400 (botocore's region redirector would look for the bucket's region and
    send again) ends the signed HEAD at once with botocore's error: its endpoint is a
    custom one, with no region to follow."""
    sent, outcome = _signed(_client("standard", 2), _status(status))
    assert sent == 1
    assert outcome == ("ClientError", str(status), reason, status, f"req-{status}", f"req-{status}")


def test_after_call_releases_the_retry_quota() -> None:
    """The call ends with after-call (botocore's standard mode gives its retry quota back
    there) or after-call-error, with the request context the retry handler wrote in."""
    client = _client("standard", 2)
    seen: list[tuple[str, object]] = []
    client.meta.events.register(
        "after-call.s3.HeadObject",
        lambda http_response, context, **_: seen.append(("ok", http_response.status_code)),
    )
    client.meta.events.register(
        "after-call-error.s3.HeadObject",
        lambda exception, **_: seen.append(("error", type(exception).__name__)),
    )
    answers = iter([_status(503), _status(200)])
    assert _signed(client, lambda: next(answers)()) == (2, 3)
    assert _signed(client, ANSWERS["refused"])[1] == "EndpointConnectionError"
    assert seen == [("ok", 200), ("error", "EndpointConnectionError")]


def test_no_route_without_the_http_session() -> None:
    """A client without botocore's endpoint (a release that moved it) gives no route: the
    store then asks botocore's head_object."""

    class _Meta:
        endpoint_url = ENDPOINT

    class _Bare:
        meta = _Meta()

    assert signed_head.route(_Bare()) is None
