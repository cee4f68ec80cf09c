"""Listings ask for the next page while the caller reads the current one
(``S3Store._list``): on the real servers (Ceph RGW and SeaweedFS), through a counting
proxy, the pages, their order and their errors are what a page-by-page listing gives."""

from __future__ import annotations

import pytest

from backend.src.libs.bucket import StorageError
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for
from tests.faults.proxy import FaultProxy, matcher

pytestmark = pytest.mark.integration


def _fill(case: ServerCase, count: int) -> list[str]:
    keys = [f"p/{i:04d}" for i in range(count)]
    for key in keys:
        case.store.put_object(case.bucket, key, b"x")
    return keys


def test_every_key_once_in_order_and_one_request_per_page(s3case: ServerCase) -> None:
    """45 keys in pages of 10: the 45 keys in order, five ListObjectsV2 requests."""
    keys = _fill(s3case, 45)
    proxy = FaultProxy(s3case.server.endpoint).start()
    store = S3Store(config_for(s3case.server, endpoint_url=proxy.endpoint))
    try:
        listed = [e.key for e in store.list_objects(s3case.bucket, page_size=10)]  # type: ignore[union-attr]
        assert listed == keys
        assert len(proxy.seen("GET")) == 5
    finally:
        store.close()
        proxy.stop()


def test_a_page_that_fails_raises_after_the_pages_before_it(s3case: ServerCase) -> None:
    """When every attempt at the second page fails (500), the caller gets the first
    page's keys, then the StorageError, at the point where the second page begins."""
    keys = _fill(s3case, 25)
    proxy = FaultProxy(s3case.server.endpoint).start()
    store = S3Store(config_for(s3case.server, endpoint_url=proxy.endpoint))
    proxy.error(500, "InternalError", count=10, match=matcher("GET", query="continuation-token="))
    listed: list[str] = []
    try:
        with pytest.raises(StorageError) as failed:
            for entry in store.list_objects(s3case.bucket, page_size=10):
                listed.append(entry.key)  # type: ignore[union-attr]
        assert listed == keys[:10]
        assert failed.value.status == 500
    finally:
        store.close()
        proxy.stop()


def test_a_listing_left_early_asks_for_one_page_ahead_at_most(s3case: ServerCase) -> None:
    """A caller that stops in the first page (and closes the listing) has cost at most
    two requests, whatever the bucket holds."""
    _fill(s3case, 35)
    proxy = FaultProxy(s3case.server.endpoint).start()
    store = S3Store(config_for(s3case.server, endpoint_url=proxy.endpoint))
    try:
        listing = store.list_objects(s3case.bucket, page_size=10)
        assert next(listing).key == "p/0000"  # type: ignore[union-attr]
        listing.close()  # type: ignore[attr-defined]
        assert 1 <= len(proxy.seen("GET")) <= 2
    finally:
        store.close()
        proxy.stop()
