"""Each route of the obstore data plane on the real servers (Ceph RGW and SeaweedFS): what
obstore carries, what it hands to boto3 and why, and that both give the same bytes, keys
and errors. Requests are counted on the wire (a pass-through ``FaultProxy``) and on
botocore's side, so a route that silently changed engine fails here."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.src.libs.bucket import AuthenticationFailed, ConnectionFailed, ObjectNotFound
from backend.src.libs.bucket.base.options import SseC, WriteOptions
from backend.src.libs.bucket.s3.obstore import SMALL_OBJECT
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.integration


@dataclass
class Wired:
    """An obstore-engine store through a counting proxy, and botocore's own requests."""

    store: S3Store
    proxy: FaultProxy
    botocore: list[str]

    def wire(self) -> list[str]:
        return [r.method for r in self.proxy.seen()]

    def clear(self) -> None:
        self.proxy.clear()
        with self.proxy._lock:  # the requests seen so far
            self.proxy.requests.clear()
        self.botocore.clear()


@pytest.fixture
def wired(s3case: ServerCase) -> Iterator[Wired]:
    """The case's server through a counting proxy, on the obstore engine, keys sent verbatim
    (BUCKET_PORTABLE_KEYS=false: the routing of keys obstore cannot hold is tested here)."""
    proxy = FaultProxy(s3case.server.endpoint).start()
    store = S3Store(
        config_for(s3case.server, endpoint_url=proxy.endpoint, engine="obstore", portable_keys=False)
    )
    sent: list[str] = []
    store.client.meta.events.register("before-send", lambda **kw: sent.append(kw["request"].method))
    yield Wired(store=store, proxy=proxy, botocore=sent)
    store.close()
    proxy.stop()


def test_small_plain_objects_go_through_obstore(s3case: ServerCase, wired: Wired) -> None:
    """A 4 KiB put with content type, metadata, cache control and tags, its get, exists and
    delete go on the wire without botocore; head_object (boto3) reads back what obstore
    wrote, and the tags are on the object."""
    data = os.urandom(4096)
    options = WriteOptions(
        content_type="text/x-test", metadata={"color": "blue"}, cache_control="no-cache",
        tags={"team": "blue"},
    )
    wired.store.put_object(s3case.bucket, "s/k", data, options=options)
    assert wired.store.get_object(s3case.bucket, "s/k") == data
    assert wired.store.get_object(s3case.bucket, "s/k", start=10, end=19) == data[10:20]
    assert wired.store.object_exists(s3case.bucket, "s/k") is True
    assert wired.botocore == []
    assert wired.wire() == ["PUT", "GET", "GET", "HEAD"]
    info = s3case.store.head_object(s3case.bucket, "s/k")
    assert (info.size, info.content_type, info.metadata) == (4096, "text/x-test", {"color": "blue"})
    tags = s3case.store.client.get_object_tagging(Bucket=s3case.bucket, Key="s/k")["TagSet"]
    assert tags == [{"Key": "team", "Value": "blue"}]
    wired.store.delete_object(s3case.bucket, "s/k")
    assert wired.botocore == [] and wired.wire()[-1] == "DELETE"
    assert s3case.store.object_exists(s3case.bucket, "s/k") is False


@pytest.mark.parametrize("key", ["dir/", "a//b", "a/./b", "x/../y", "/lead"])
def test_keys_obstore_cannot_hold_go_through_boto3(
    s3case: ServerCase, wired: Wired, key: str
) -> None:
    """Keys obstore would alter or refuse (folder markers, empty and dot segments, a
    leading slash) are written, read, checked and deleted through botocore, exactly."""
    s3case.need("path-like-keys")
    wired.store.put_object(s3case.bucket, key, b"exact")
    assert wired.store.get_object(s3case.bucket, key) == b"exact"
    assert wired.store.object_exists(s3case.bucket, key) is True
    keys = [e.key for e in s3case.store.list_objects(s3case.bucket)]
    assert keys == [key]
    wired.store.delete_object(s3case.bucket, key)
    assert wired.botocore == ["PUT", "GET", "HEAD", "DELETE"]
    assert list(s3case.store.list_objects(s3case.bucket)) == []


def test_objects_above_small_object_are_read_by_boto3(
    s3case: ServerCase, wired: Wired
) -> None:
    """A 200 kB object: obstore's plain GET is dropped once its head gives the size, and
    one botocore GET reads the object whole; a range open past its start is botocore's
    alone. Its put is botocore's (above SMALL_OBJECT)."""
    data = os.urandom(200_000)
    wired.store.put_object(s3case.bucket, "big", data)
    assert wired.botocore == ["PUT"]
    wired.clear()
    assert wired.store.get_object(s3case.bucket, "big") == data
    assert wired.wire() == ["GET", "GET"] and wired.botocore == ["GET"]
    wired.clear()
    tail = wired.store.get_object(s3case.bucket, "big", start=SMALL_OBJECT)
    assert tail == data[SMALL_OBJECT:] and wired.botocore == ["GET"]


def test_empty_object_reads_back_empty(s3case: ServerCase, wired: Wired) -> None:
    """An empty object has no byte 0 (the ranged GET answers 416): the plain GET that
    follows returns b'' (two obstore requests, no error)."""
    wired.store.put_object(s3case.bucket, "empty", b"")
    assert wired.store.get_object(s3case.bucket, "empty") == b""
    assert wired.botocore == []


def test_writes_obstore_cannot_express_go_through_boto3(
    s3case: ServerCase, wired: Wired
) -> None:
    """A metadata name that is an obstore attribute name, and a tag value obstore would
    encode with '+' for a space (which Ceph keeps as '+'), go through botocore and are
    stored as given (the content type stays the real one)."""
    options = WriteOptions(metadata={"content-type": "shadow"}, content_type="text/plain")
    wired.store.put_object(s3case.bucket, "m", b"x", options=options)
    wired.store.put_object(s3case.bucket, "t", b"x", options=WriteOptions(tags={"team": "a b"}))
    assert wired.botocore == ["PUT", "PUT"]
    info = s3case.store.head_object(s3case.bucket, "m")
    assert info.metadata == {"content-type": "shadow"} and info.content_type == "text/plain"
    tags = s3case.store.client.get_object_tagging(Bucket=s3case.bucket, Key="t")["TagSet"]
    assert tags == [{"Key": "team", "Value": "a b"}]


def test_sse_c_write_goes_through_boto3(s3case: ServerCase, wired: Wired) -> None:
    """A per-call SSE-C key is botocore's on the write and on the read that passes it."""
    key = os.urandom(32)
    wired.store.put_object(s3case.bucket, "c", b"secret", options=WriteOptions(encryption=SseC(key)))
    assert wired.store.get_object(s3case.bucket, "c", sse_customer_key=key) == b"secret"
    assert wired.botocore == ["PUT", "GET"]


def test_write_once_on_obstore(s3case: ServerCase, wired: Wired) -> None:
    """mode='create' is obstore's conditional PUT: the first succeeds, the second is
    AlreadyExists and the first bytes stay."""
    from backend.src.libs.bucket import AlreadyExists

    wired.store.put_object(s3case.bucket, "once", b"1", options=WriteOptions(mode="create"))
    with pytest.raises(AlreadyExists):
        wired.store.put_object(s3case.bucket, "once", b"2", options=WriteOptions(mode="create"))
    assert wired.botocore == []
    assert s3case.store.get_object(s3case.bucket, "once") == b"1"


def test_presigned_urls_from_obstore_work(s3case: ServerCase, wired: Wired) -> None:
    """A presigned PUT then GET URL signed by obstore (no request to sign) upload and
    download the bytes; with a download name the URL is botocore's signer's."""
    put_url = wired.store.presign_url(s3case.bucket, "p/u", method="PUT", expiration=60)
    get_url = wired.store.presign_url(s3case.bucket, "p/u", expiration=60)
    assert wired.wire() == [] and wired.botocore == []
    upload = urllib.request.Request(put_url, data=b"via-url", method="PUT")
    with urllib.request.urlopen(upload, timeout=10) as answer:
        assert answer.status == 200
    with urllib.request.urlopen(get_url, timeout=10) as answer:
        assert answer.read() == b"via-url"
    named = wired.store.presign_url(s3case.bucket, "p/u", download_name="r.txt")
    assert "response-content-disposition" in named


def test_errors_on_obstore_are_the_store_errors(s3case: ServerCase, tmp_path: Path) -> None:
    """Wrong credentials: AuthenticationFailed without the secret in its text; a missing
    key: ObjectNotFound naming bucket and key; nothing listening: ConnectionFailed."""
    wrong = S3Store(config_for(s3case.server, secret_key="wrong-secret-value-42", engine="obstore"))
    with pytest.raises(AuthenticationFailed) as denied:
        wrong.get_object(s3case.bucket, "k")
    assert "wrong-secret-value-42" not in str(denied.value)
    store = S3Store(config_for(s3case.server, engine="obstore"))
    with pytest.raises(ObjectNotFound) as missing:
        store.get_object(s3case.bucket, "nope")
    assert (missing.value.bucket, missing.value.key) == (s3case.bucket, "nope")
    gone = S3Store(config_for(s3case.server, endpoint_url="http://127.0.0.1:9", engine="obstore",
                              max_retries=0))
    with pytest.raises(ConnectionFailed):
        gone.get_object(s3case.bucket, "k")
    for each in (wrong, store, gone):
        each.close()


def test_credentials_come_from_the_boto3_chain(
    s3case: ServerCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key in the settings, a named profile in a shared credentials file: obstore signs
    with the profile's keys (its PUT and GET succeed, botocore sends nothing)."""
    server = s3case.server
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[bench]\naws_access_key_id = {server.access_key}\n"
        f"aws_secret_access_key = {server.secret_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    store = S3Store(
        config_for(server, access_key=None, secret_key=None, profile="bench", engine="obstore")
    )
    sent: list[str] = []
    store.client.meta.events.register("before-send", lambda **kw: sent.append("x"))
    store.put_object(s3case.bucket, "from-profile", b"p")
    assert store.get_object(s3case.bucket, "from-profile") == b"p"
    assert sent == []
    store.close()


def test_listing_reads_keys_as_raw_boto3_does(s3case: ServerCase) -> None:
    """The store's listing (its own ListObjectsV2 reader, listing_xml) gives the same keys,
    sizes and ETags as a raw boto3 paginator, for keys with spaces, '+', '%', '&', '<' and
    accents, across pages. (A control character in a key makes Ceph RGW 16 answer a paged
    listing with 500, raw boto3's too: not a case a listing reader can help.)"""
    import boto3

    keys = ["a b", "a+b", "p%41", "é/ü", "x&y<z>", *[f"many/{i:03d}" for i in range(7)]]
    for key in keys:
        s3case.store.put_object(s3case.bucket, key, key.encode())
    server = s3case.server
    raw = boto3.client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name=server.region,
    )
    expected = [
        (o["Key"], o["Size"], o["ETag"].strip('"'))
        for page in raw.get_paginator("list_objects_v2").paginate(Bucket=s3case.bucket)
        for o in page.get("Contents", [])
    ]
    listed = [
        (e.key, e.size, e.etag)
        for e in s3case.store.list_objects(s3case.bucket, page_size=3)
    ]
    assert sorted(listed) == sorted(expected) and len(listed) == len(keys)
    raw.close()
