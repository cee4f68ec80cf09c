"""Issue 3 item 2: presigned GET/PUT/POST checked with plain HTTP against real servers."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from backend.src.libs.bucket import Bucket, InvalidArgument
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase


def test_presigned_get_works_and_tampering_is_refused(s3case: ServerCase) -> None:
    """A presigned GET returns the bytes (200); changing the key or the signature gives 403."""
    s3case.store.put_object(s3case.bucket, "a.txt", b"hello")
    url = s3case.store.presign_url(s3case.bucket, "a.txt", expiration=60)
    ok = requests.get(url, timeout=10)
    assert ok.status_code == 200 and ok.content == b"hello"
    s3case.store.put_object(s3case.bucket, "b.txt", b"other")
    assert requests.get(url.replace("/a.txt", "/b.txt"), timeout=10).status_code == 403
    sig = url.rsplit("X-Amz-Signature=", 1)[1]
    forged = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    assert requests.get(forged, timeout=10).status_code == 403


def test_presigned_get_expires(s3case: ServerCase) -> None:
    """A URL valid for 1 second is refused (403) once it has expired."""
    s3case.store.put_object(s3case.bucket, "e.txt", b"x")
    url = s3case.store.presign_url(s3case.bucket, "e.txt", expiration=1)
    time.sleep(2.5)
    assert requests.get(url, timeout=10).status_code == 403


def test_presigned_put_uploads(s3case: ServerCase) -> None:
    """A presigned PUT with a content type stores the bytes and the type."""
    url = s3case.store.presign_url(
        s3case.bucket, "up.json", method="PUT", expiration=timedelta(minutes=5),
        content_type="application/json",
    )
    r = requests.put(url, data=b'{"a":1}', headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200
    assert s3case.store.get_object(s3case.bucket, "up.json") == b'{"a":1}'
    assert s3case.store.head_object(s3case.bucket, "up.json").content_type == "application/json"


@pytest.mark.parametrize("bad", [0, 0.5, 7 * 24 * 3600 + 1, -5, "3600", timedelta(days=8)])
def test_expiration_bounds(s3_store: S3Store, bad: object) -> None:
    """Expiry outside 1 s .. 7 days is refused before signing, naming ``expiration``."""
    with pytest.raises(InvalidArgument, match="expiration"):
        s3_store.presign_url("any-bucket", "k", expiration=bad)  # type: ignore[arg-type]


def test_facade_presign_out_of_bounds_returns_error(facade: Bucket) -> None:
    """The facade returns ``error`` and keeps the InvalidArgument naming expiration."""
    assert facade.presign_url("any-bucket", "k", expiration=10**9) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "expiration" in str(facade.last_error)


def test_presigned_post_enforces_conditions(s3case: ServerCase) -> None:
    """POST within the limits is stored (204); too large, wrong content type or a key
    outside the prefix is refused by the server."""
    post = s3case.store.presign_post(
        s3case.bucket, "uploads/photo.png", expiration=60, min_size=1, max_size=100,
        content_type="image/png", key_prefix="uploads/",
    )
    def send(body: bytes, **changes: str) -> int:
        fields = {**post.fields, **changes}
        r = requests.post(post.url, data=fields, files={"file": ("f", body)}, timeout=10)
        return r.status_code

    assert send(b"x" * 50) in (200, 201, 204)
    assert s3case.store.get_object(s3case.bucket, "uploads/photo.png") == b"x" * 50
    assert send(b"x" * 500) in (400, 403)
    assert send(b"x" * 10, **{"Content-Type": "text/plain"}) in (400, 403)
    assert send(b"x" * 10, key="elsewhere/photo.png") in (400, 403)
    assert not s3case.store.object_exists(s3case.bucket, "elsewhere/photo.png")


def test_public_url_signs_for_the_public_host(s3case: ServerCase) -> None:
    """With BUCKET_PUBLIC_URL the URL names the public host (no request made), and it
    works when that host is an alias of the server (localhost vs 127.0.0.1)."""
    public = s3case.server.endpoint.replace("127.0.0.1", "localhost")
    store = S3Store(s3case.config(public_url=public))
    s3case.store.put_object(s3case.bucket, "p.txt", b"public")
    url = store.presign_url(s3case.bucket, "p.txt")
    assert urlsplit(url).hostname == "localhost"
    assert requests.get(url, timeout=10).content == b"public"
    # the same URL moved to the internal host no longer matches its signature
    assert requests.get(url.replace("localhost", "127.0.0.1"), timeout=10).status_code == 403
    store.close()
