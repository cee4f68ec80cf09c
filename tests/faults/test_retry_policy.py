"""One retry policy, from the same settings, on each of the store's three request stacks,
counted at ``FaultProxy`` in front of the real Ceph RGW:

- botocore's route (``BUCKET_ENGINE=boto3``: ``head_object`` is botocore's HeadObject);
- the signed HEAD (``signed_head``: ``head_object`` on the obstore engine, retried by the
  client's own botocore retry handlers; in adaptive mode the HEAD is botocore's);
- obstore's route (``get_object`` of a small object on the obstore engine, retried by
  obstore with ``deadline.obstore_retry`` of the same settings).

For each, in each retry mode (``BUCKET_RETRY_MODE``): a 503 then success is one retry;
503 on every attempt is exactly ``max_retries + 1`` requests, then ``ServiceUnavailable``;
``max_retries = 0`` is one request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from backend.src.libs.bucket import ServiceUnavailable
from backend.src.libs.bucket.s3.store import S3Store
from tests.faults.conftest import ProxiedConfig
from tests.faults.proxy import FaultProxy, matcher

pytestmark = pytest.mark.integration

RETRIES = 2
Call = Callable[[S3Store, str], int]
ROUTES: dict[str, tuple[str, str, Call]] = {
    # route: (engine, method seen at the proxy, the call)
    "botocore": ("boto3", "HEAD", lambda s, b: s.head_object(b, "k").size),
    "signed-head": ("obstore", "HEAD", lambda s, b: s.head_object(b, "k").size),
    "obstore": ("obstore", "GET", lambda s, b: len(s.get_object(b, "k"))),
}


@pytest.fixture
def stored(direct: S3Store, fault_bucket: str) -> str:
    """The bucket, holding ``k`` (3 bytes), written directly."""
    direct.put_object(fault_bucket, "k", b"abc")
    return fault_bucket


@contextlib.contextmanager
def _store(
    proxied_config: ProxiedConfig, engine: str, mode: str, retries: int
) -> Iterator[tuple[S3Store, list[str]]]:
    """A store through the proxy with these settings, and the calls botocore makes."""
    store = S3Store(proxied_config(engine=engine, retry_mode=mode, max_retries=retries))
    calls: list[str] = []
    store.client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    try:
        yield store, calls
    finally:
        store.close()


def _expected_botocore_calls(route: str, mode: str) -> list[str]:
    """The calls botocore makes itself: HeadObject on its route (and for the signed route
    in adaptive mode, whose send-rate limiter only botocore's own sends pass)."""
    if route == "botocore" or (route == "signed-head" and mode == "adaptive"):
        return ["HeadObject"]
    return []


@pytest.mark.parametrize("mode", ["standard", "adaptive", "legacy"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_a_503_then_success_is_one_retry(
    proxy: FaultProxy, proxied_config: ProxiedConfig, stored: str, route: str, mode: str
) -> None:
    """One 503, then the answer: two requests at the proxy, the call succeeds."""
    engine, method, call = ROUTES[route]
    with _store(proxied_config, engine, mode, RETRIES) as (store, botocore_calls):
        proxy.error(503, "SlowDown", count=1, match=matcher(method, f"/{stored}/k"))
        assert call(store, stored) == 3
        seen = proxy.seen(method, f"/{stored}/k")
        assert [r.action for r in seen] == ["error", "forward"], route
        assert botocore_calls == _expected_botocore_calls(route, mode)


@pytest.mark.parametrize("mode", ["standard", "adaptive", "legacy"])
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("retries", [0, RETRIES])
def test_a_503_always_spends_exactly_the_budget(
    proxy: FaultProxy,
    proxied_config: ProxiedConfig,
    stored: str,
    route: str,
    mode: str,
    retries: int,
) -> None:
    """503 on every attempt: exactly max_retries + 1 requests at the proxy, then
    ServiceUnavailable (status 503), on every route and in every mode."""
    engine, method, call = ROUTES[route]
    with _store(proxied_config, engine, mode, retries) as (store, botocore_calls):
        proxy.error(503, "SlowDown", count=1000, match=matcher(method, f"/{stored}/k"))
        with pytest.raises(ServiceUnavailable) as caught:
            call(store, stored)
        assert caught.value.status == 503
        assert len(proxy.seen(method, f"/{stored}/k")) == retries + 1, (route, mode)
        assert botocore_calls == _expected_botocore_calls(route, mode)
