"""S3Store against the real server: batch deletes, paging, force delete, multipart, streams."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from backend.src.libs.bucket import BucketConfig, ObjectInfo
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import unique_bucket_name

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def _fill(store: S3Store, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: store.put_object(bucket, k, k.encode()), keys))


def test_listing_follows_continuation_tokens(s3_store: S3Store, bucket_name: str) -> None:
    """1,050 keys listed with 1000-key pages and with 7-key pages: every key once, in order."""
    keys = [f"item/{i:05d}" for i in range(1050)]
    _fill(s3_store, bucket_name, keys)
    listed = [e.key for e in s3_store.list_objects(bucket_name) if isinstance(e, ObjectInfo)]
    assert listed == keys
    requests: list[Any] = []
    s3_store.client.meta.events.register(
        "before-send.s3.ListObjectsV2", lambda **kw: requests.append(1)
    )
    small = list(s3_store.list_objects(bucket_name, prefix="item/0000", page_size=7))
    assert [e.key for e in small] == keys[:10]  # type: ignore[union-attr]
    assert len(requests) == 2


def test_listing_is_lazy(s3_store: S3Store, bucket_name: str) -> None:
    """Taking the first entries of a listing fetches one page and at most the next one
    (asked for while the first is read), not the whole bucket; the whole listing is one
    request per page."""
    _fill(s3_store, bucket_name, [f"k{i:03d}" for i in range(30)])
    requests: list[Any] = []
    s3_store.client.meta.events.register(
        "before-send.s3.ListObjectsV2", lambda **kw: requests.append(1)
    )
    iterator = s3_store.list_objects(bucket_name, page_size=10)
    first = [next(iterator) for _ in range(5)]
    assert [e.key for e in first] == [f"k{i:03d}" for i in range(5)]  # type: ignore[union-attr]
    assert 1 <= len(requests) <= 2
    rest = list(iterator)
    assert [e.key for e in rest] == [f"k{i:03d}" for i in range(5, 30)]  # type: ignore[union-attr]
    assert len(requests) == 3


def test_listing_with_max_keys_asks_for_no_page_past_it(
    s3_store: S3Store, bucket_name: str
) -> None:
    """max_keys ends the listing where it says: 15 keys in pages of 10 are two requests
    (10, then 5), none ahead."""
    _fill(s3_store, bucket_name, [f"m{i:03d}" for i in range(30)])
    requests: list[Any] = []
    s3_store.client.meta.events.register(
        "before-send.s3.ListObjectsV2", lambda request, **kw: requests.append(request.url)
    )
    keys = [e.key for e in s3_store.list_objects(bucket_name, page_size=10, max_keys=15)]  # type: ignore[union-attr]
    assert keys == [f"m{i:03d}" for i in range(15)]
    assert len(requests) == 2 and "max-keys=5" in requests[1]


def test_delete_many_in_batches_of_1000(s3_store: S3Store, bucket_name: str) -> None:
    """2,100 keys are deleted with three DeleteObjects requests; the bucket ends empty."""
    keys = [f"bulk/{i:05d}" for i in range(2100)]
    _fill(s3_store, bucket_name, keys)
    batches: list[Any] = []
    s3_store.client.meta.events.register(
        "before-send.s3.DeleteObjects", lambda **kw: batches.append(1)
    )
    result = s3_store.delete_objects(bucket_name, iter(keys))
    assert result.ok
    assert len(result.deleted) == 2100
    assert len(batches) == 3
    assert list(s3_store.list_objects(bucket_name)) == []


def test_batch_delete_falls_back_when_refused_for_checksum(
    s3_store: S3Store, bucket_name: str
) -> None:
    """When the server refuses a batch for its checksum, keys are deleted one by one, for good."""
    keys = [f"fb/{i}" for i in range(5)]
    _fill(s3_store, bucket_name, keys)

    def refuse(**kwargs: Any) -> None:
        raise ClientError(
            {
                "Error": {
                    "Code": "MissingContentMD5",
                    "Message": "Missing required header for this request: Content-MD5",
                },
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "DeleteObjects",
        )

    s3_store.client.meta.events.register("before-call.s3.DeleteObjects", refuse)
    singles: list[Any] = []
    s3_store.client.meta.events.register(
        "before-send.s3.DeleteObject", lambda **kw: singles.append(1)
    )
    result = s3_store.delete_objects(bucket_name, keys[:3])
    assert result.ok and sorted(result.deleted) == keys[:3]
    assert len(singles) == 3
    result = s3_store.delete_objects(bucket_name, keys[3:])
    assert sorted(result.deleted) == keys[3:]
    assert len(singles) == 5  # no second batch attempt once refused
    assert list(s3_store.list_objects(bucket_name)) == []


def test_force_delete_removes_versions_and_uploads(s3_store: S3Store) -> None:
    """delete_bucket(force=True) removes every version, delete marker and open multipart upload."""
    name = unique_bucket_name("ver")
    s3_store.create_bucket(name)
    client = s3_store.client
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2", b"v3"):
        s3_store.put_object(name, "doc", body)
    s3_store.delete_object(name, "doc")  # a delete marker
    client.create_multipart_upload(Bucket=name, Key="pending")
    versions = client.list_object_versions(Bucket=name)
    assert len(versions.get("Versions", [])) == 3
    assert len(versions.get("DeleteMarkers", [])) == 1
    s3_store.delete_bucket(name, force=True)
    assert s3_store.bucket_exists(name) is False


def test_multipart_file_round_trip_with_progress(
    s3_config: BucketConfig, bucket_name: str, tmp_path: Path
) -> None:
    """A 13 MiB file over a 5 MiB threshold goes up in parts and comes back byte-identical."""
    store = S3Store(s3_config.replace(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    payload = os.urandom(13 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    seen: list[tuple[int, int | None]] = []
    store.upload_file(
        bucket_name, "big.bin", str(source), progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (13 * MiB, 13 * MiB)
    head = store.head_object(bucket_name, "big.bin")
    assert head.size == 13 * MiB
    assert head.etag is not None and head.etag.endswith("-3")  # three parts
    down: list[tuple[int, int | None]] = []
    dest = tmp_path / "back.bin"
    assert (
        store.download_file(
            bucket_name, "big.bin", str(dest), progress=lambda d, t: down.append((d, t))
        )
        == 13 * MiB
    )
    assert dest.read_bytes() == payload
    assert down[-1] == (13 * MiB, 13 * MiB)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or ".part" in p.name] == []
    store.close()


def test_stream_of_unknown_length(s3_config: BucketConfig, bucket_name: str) -> None:
    """A non-seekable stream larger than the threshold uploads as multipart, bytes intact."""
    store = S3Store(s3_config.replace(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    payload = os.urandom(11 * MiB)

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._buf = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: Any) -> int:
            data = self._buf.read(min(len(b), 65536))
            b[: len(data)] = data
            return len(data)

    result = store.put_object(bucket_name, "piped.bin", io.BufferedReader(Pipe()))
    assert store.get_object(bucket_name, "piped.bin") == payload
    assert store.head_object(bucket_name, "piped.bin").etag.endswith("-3")  # type: ignore[union-attr]
    assert result.size == 11 * MiB
    store.close()


def test_client_is_shared_by_threads(s3_store: S3Store, bucket_name: str) -> None:
    """16 threads on one store use one client and all succeed."""
    clients = set()

    def work(i: int) -> bytes:
        clients.add(id(s3_store.client))
        s3_store.put_object(bucket_name, f"t/{i}", str(i).encode())
        return s3_store.get_object(bucket_name, f"t/{i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(64)))
    assert results == [str(i).encode() for i in range(64)]
    assert len(clients) == 1


@pytest.mark.parametrize("engine", ["obstore", "boto3"])
def test_one_request_per_simple_operation(engine: str, s3_server: Any, bucket_name: str) -> None:
    """put, get, head and delete each send exactly one HTTP request on either engine
    (counted on the wire by a pass-through proxy, so obstore's requests count too), and
    on the obstore engine botocore sends none of them: obstore carries put, get, delete
    and object_exists, and head_object (whose storage class obstore does not report) is
    a HEAD signed by the store itself (signed_head)."""
    from tests.conftest import config_for
    from tests.faults.proxy import FaultProxy

    proxy = FaultProxy(s3_server.endpoint).start()
    store = S3Store(config_for(s3_server, endpoint_url=proxy.endpoint, engine=engine))
    botocore_sent: list[str] = []
    store.client.meta.events.register(
        "before-send", lambda **kw: botocore_sent.append(kw["request"].method)
    )
    try:
        store.put_object(bucket_name, "one", b"1")
        assert store.get_object(bucket_name, "one") == b"1"
        assert store.head_object(bucket_name, "one").size == 1
        assert store.object_exists(bucket_name, "one") is True
        store.delete_object(bucket_name, "one")
        assert [r.method for r in proxy.seen()] == ["PUT", "GET", "HEAD", "HEAD", "DELETE"]
        every = ["PUT", "GET", "HEAD", "HEAD", "DELETE"]
        assert botocore_sent == ([] if engine == "obstore" else every)
    finally:
        store.close()
        proxy.stop()


def test_compatibility_settings_reach_the_client(s3_store: S3Store) -> None:
    """SigV4, path-style, when_required checksums and the pool size are set on the client."""
    config = s3_store.client.meta.config
    assert config.signature_version == "s3v4"
    assert config.s3["addressing_style"] == "path"
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.max_pool_connections >= s3_store.config.max_workers
    assert config.retries["total_max_attempts"] == s3_store.config.max_retries + 1


def test_upload_file_errors_name_upload_file_whatever_the_size(
    s3_store: S3Store, tmp_path: Path
) -> None:
    """An upload_file that fails says "upload_file failed" for a small file (one PUT) as
    for a large one; the small one said "put_object failed" (and so did the write-once
    read-ahead path). put_object's own errors still say put_object."""
    from backend.src.libs.bucket import BucketNotFound
    from backend.src.libs.bucket.base.options import WriteOptions
    from backend.src.libs.bucket.s3.transfer import TransferSettings

    missing = unique_bucket_name("gone")
    small = tmp_path / "small.bin"
    small.write_bytes(b"small")
    large = TransferSettings(multipart_threshold=5 * 1024 * 1024)
    calls = [
        ("upload_file", lambda: s3_store.upload_file(missing, "k", small)),
        (
            "upload_file",
            lambda: s3_store.upload_file(
                missing, "k", small, options=WriteOptions(mode="create"), transfer=large
            ),
        ),
        ("put_object", lambda: s3_store.put_object(missing, "k", b"small")),
    ]
    for operation, call in calls:
        with pytest.raises(BucketNotFound) as caught:
            call()
        assert f"{operation} failed" in str(caught.value), str(caught.value)
