"""Requests signed by the project itself (``sigv4``), on the real servers (Ceph RGW and
SeaweedFS): ``head_object`` through ``signed_head`` and presigned URLs for path-style
endpoints. Each must give what botocore gives (the same ``ObjectInfo``, the same
errors) and be accepted by the server; requests are counted on the wire."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

from backend.src.libs.bucket import BucketNotFound, ObjectNotFound
from backend.src.libs.bucket.base.options import SseC, WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for
from tests.integration.test_engines import Wired, wired  # noqa: F401 (the fixture)

pytestmark = pytest.mark.integration


def _boto3_head(case: ServerCase, key: str, **kwargs: str) -> dict[str, object]:
    answer = case.store.client.head_object(Bucket=case.bucket, Key=key, **kwargs)
    return {
        "size": answer["ContentLength"],
        "etag": answer["ETag"].strip('"'),
        "last_modified": answer["LastModified"],
        "content_type": answer.get("ContentType"),
        "metadata": answer.get("Metadata", {}),
        "storage_class": answer.get("StorageClass", "STANDARD"),
        "version_id": answer.get("VersionId"),
    }


def test_head_is_one_signed_request_with_botocores_answer(
    s3case: ServerCase, wired: Wired  # noqa: F811
) -> None:
    """head_object of a plain key: one HEAD on the wire, none through botocore, and the
    same size, ETag, date, content type, metadata and storage class botocore reads."""
    key = "signed/é n+x~(1).txt"
    options = WriteOptions(content_type="text/x-test", metadata={"owner": "ann", "x-y": "z"})
    s3case.store.put_object(s3case.bucket, key, b"hello world", options=options)
    wired.clear()
    info = wired.store.head_object(s3case.bucket, key)
    assert wired.wire() == ["HEAD"] and wired.botocore == []
    ours = {
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified,
        "content_type": info.content_type,
        "metadata": info.metadata,
        "storage_class": info.storage_class,
        "version_id": info.version_id,
    }
    assert ours == _boto3_head(s3case, key)
    assert (info.size, info.metadata) == (11, {"owner": "ann", "x-y": "z"})


def test_missing_key_and_bucket_are_named_as_botocore_names_them(
    s3case: ServerCase, wired: Wired  # noqa: F811
) -> None:
    """A missing key is ObjectNotFound (status 404, a request id); a missing bucket is
    BucketNotFound, as on the boto3 route."""
    with pytest.raises(ObjectNotFound) as missing:
        wired.store.head_object(s3case.bucket, "signed/none")
    assert missing.value.status == 404 and missing.value.key == "signed/none"
    with pytest.raises(BucketNotFound):
        wired.store.head_object("bucket-that-is-not-here-0042", "k")


def test_a_version_is_read_by_its_id(s3case: ServerCase, wired: Wired) -> None:  # noqa: F811
    """With a version id, the signed HEAD reads that version (signed versionId query)."""
    bucket = s3case.new_bucket()
    s3case.store.set_versioning(bucket, True)
    first = s3case.store.put_object(bucket, "v", b"one")
    s3case.store.put_object(bucket, "v", b"three")
    assert first.version_id
    wired.clear()
    info = wired.store.head_object(bucket, "v", version_id=first.version_id)
    assert (info.size, info.version_id) == (3, first.version_id)
    assert wired.botocore == [] and wired.wire() == ["HEAD"]


def test_sse_c_and_odd_keys_stay_on_botocore(
    s3case: ServerCase, wired: Wired  # noqa: F811
) -> None:
    """An SSE-C key (headers the signed HEAD does not send) and a key obstore's rule
    refuses ('dir/') are read by botocore's HeadObject."""
    key32 = os.urandom(32)
    s3case.store.put_object(
        s3case.bucket, "sse", b"secret", options=WriteOptions(encryption=SseC(key32))
    )
    wired.clear()
    assert wired.store.head_object(s3case.bucket, "sse", sse_customer_key=key32).size == 6
    assert wired.botocore == ["HEAD"]
    s3case.need("path-like-keys")
    wired.store.put_object(s3case.bucket, "dir/", b"")  # verbatim keys (BUCKET_PORTABLE_KEYS off)
    wired.clear()
    assert wired.store.head_object(s3case.bucket, "dir/").size == 0
    assert wired.botocore == ["HEAD"]


def test_a_503_is_retried(s3case: ServerCase, wired: Wired) -> None:  # noqa: F811
    """A 503 answer is retried (botocore's standard mode): two HEADs, then the answer."""
    s3case.store.put_object(s3case.bucket, "r", b"abc")
    wired.clear()
    wired.proxy.error(503, "SlowDown", count=1)
    assert wired.store.head_object(s3case.bucket, "r").size == 3
    assert wired.wire() == ["HEAD", "HEAD"] and wired.botocore == []


@pytest.mark.parametrize("key", ["plain.txt", "dir/é n+x~(1).bin", "100% sure?.txt"])
def test_presigned_urls_work_on_the_server(s3case: ServerCase, key: str) -> None:
    """URLs signed by sigv4 (boto3 engine: no obstore) upload and download the bytes;
    download_name comes back as Content-Disposition; a version id reads that version."""
    store = S3Store(config_for(s3case.server, engine="boto3"))
    try:
        put = store.presign_url(s3case.bucket, key, method="PUT", expiration=60)
        with urllib.request.urlopen(urllib.request.Request(put, data=b"via url", method="PUT")) as r:
            assert r.status == 200
        get = store.presign_url(s3case.bucket, key, expiration=60, download_name="r é.txt")
        with urllib.request.urlopen(get) as r:
            assert r.read() == b"via url"
            assert "filename*=UTF-8''r%20%C3%A9.txt" in r.headers["Content-Disposition"]
        bad = get.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad)
        assert refused.value.code == 403
    finally:
        store.close()
