"""Issue 3 item 10: key prefix per store and content-type guessing on real servers.

Issue 22, fault 3: a store scoped by ``BUCKET_PREFIX`` shares its bucket, so its
``delete_bucket(force=True)`` (store, ``Bucket`` facade, ``bucket rb --force``) empties its
own prefix only -- every version, delete marker and incomplete upload there -- and never
deletes the bucket or another tenant's keys.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, BucketNotEmpty
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.store import ObjectInfo
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.cli.conftest import BUCKET_BIN, s3_env
from tests.conftest import ServerCase, config_for, unique_bucket_name
from tests.servers import S3Server


def test_prefix_scopes_keys_listings_and_stats(s3case: ServerCase) -> None:
    """With BUCKET_PREFIX every key, listing and stat is relative to it; keys outside
    are neither listed nor deleted."""
    b = s3case.store
    b.put_object(s3case.bucket, "outside.txt", b"o")
    scoped = S3Store(s3case.config(prefix="tenant-a/"))
    scoped.put_object(s3case.bucket, "x/1.txt", b"1")
    assert b.get_object(s3case.bucket, "tenant-a/x/1.txt") == b"1"
    keys = [e.key for e in scoped.list_objects(s3case.bucket) if isinstance(e, ObjectInfo)]
    assert keys == ["x/1.txt"]
    assert scoped.head_object(s3case.bucket, "x/1.txt").key == "x/1.txt"
    assert scoped.get_bucket_stats(s3case.bucket).objects == 1
    scoped.delete_objects(s3case.bucket, ["x/1.txt", "outside.txt"])
    assert b.object_exists(s3case.bucket, "outside.txt")
    assert not b.object_exists(s3case.bucket, "tenant-a/x/1.txt")
    scoped.close()


def test_presigned_url_and_versions_use_the_prefix(s3case: ServerCase) -> None:
    """Presigned URLs and version listings name the prefixed key on the server and the
    relative key to the caller."""
    scoped = S3Store(s3case.config(prefix="p/"))
    scoped.put_object(s3case.bucket, "a.txt", b"a")
    assert "/p/a.txt" in scoped.presign_url(s3case.bucket, "a.txt")
    assert [v.key for v in scoped.list_object_versions(s3case.bucket)] == ["a.txt"]
    scoped.close()


def test_content_type_guessed_from_key(s3case: ServerCase) -> None:
    """Without a content type the key's extension decides; unknown means octet-stream;
    an explicit type wins."""
    s = s3case.store
    for key, expected in (("a.json", "application/json"), ("b.png", "image/png"),
                          ("c.unknownext", "application/octet-stream"), ("d.html", "text/html")):
        s.put_object(s3case.bucket, key, b"x")
        assert s.head_object(s3case.bucket, key).content_type == expected
    s.put_object(s3case.bucket, "e.json", b"x", options=WriteOptions(content_type="text/plain"))
    assert s.head_object(s3case.bucket, "e.json").content_type == "text/plain"


# ------------------------------------------- issue 22, fault 3: delete_bucket of a tenant
TENANT_A = {"x/1.txt": b"a one", "x/2.txt": b"a two", "y.txt": b"a why"}
TENANT_B = {"keep.txt": b"b keep", "x/1.txt": b"b one"}
LOOKALIKE = {"tenant-a-old/z.txt": b"not tenant-a's", "tenant-a.txt": b"nor this"}


@pytest.fixture
def shared(ceph_server: S3Server) -> Iterator[tuple[str, S3Store]]:
    """A versioned bucket on Ceph shared by the prefixes ``tenant-a/`` and ``tenant-b/``,
    with keys beside them that only look like tenant-a's; a store without a prefix to
    look at it, force-deleted after the test."""
    plain = S3Store(config_for(ceph_server))
    bucket = unique_bucket_name("tenants")
    plain.create_bucket(bucket)
    plain.set_versioning(bucket, True)
    for key, data in LOOKALIKE.items():
        plain.put_object(bucket, key, data)
    yield bucket, plain
    with contextlib.suppress(Exception):
        plain.delete_bucket(bucket, force=True)
    plain.close()


def fill_tenant(store: S3Store, bucket: str, objects: dict[str, bytes]) -> None:
    """Write ``objects`` twice (two versions each), delete one key (a delete marker) and
    leave one multipart upload incomplete, all under the store's prefix."""
    for key, data in objects.items():
        store.put_object(bucket, key, data + b" (v1)")
        store.put_object(bucket, key, data)
    store.put_object(bucket, "gone.txt", b"deleted")
    store.delete_object(bucket, "gone.txt")
    prefix = store.location.key_prefix
    store.client.create_multipart_upload(Bucket=bucket, Key=prefix + "upload.bin")


def under(plain: S3Store, bucket: str, prefix: str) -> tuple[int, int, int]:
    """``(versions, delete markers, incomplete uploads)`` under ``prefix``, from the server."""
    versions = plain.client.list_object_versions(Bucket=bucket, Prefix=prefix)
    uploads = plain.client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return (
        len(versions.get("Versions", [])),
        len(versions.get("DeleteMarkers", [])),
        len(uploads.get("Uploads", [])),
    )


def test_scoped_delete_bucket_empties_its_prefix_and_keeps_the_bucket(
    ceph_server: S3Server, shared: tuple[str, S3Store]
) -> None:
    """With BUCKET_PREFIX=tenant-a, delete_bucket(force=True) deletes every tenant-a key,
    version and delete marker and aborts its incomplete upload; tenant-b's bytes,
    versions and upload, the look-alike keys and the bucket stay; the result says the
    bucket was kept."""
    bucket, plain = shared
    tenant_a = S3Store(config_for(ceph_server, prefix="tenant-a"))
    tenant_b = S3Store(config_for(ceph_server, prefix="tenant-b"))
    fill_tenant(tenant_a, bucket, TENANT_A)
    fill_tenant(tenant_b, bucket, TENANT_B)
    assert under(plain, bucket, "tenant-a/") == (7, 1, 1)

    done = tenant_a.delete_bucket(bucket, force=True)

    assert plain.bucket_exists(bucket)
    assert under(plain, bucket, "tenant-b/") == (5, 1, 1)
    assert {k: tenant_b.get_object(bucket, k) for k in TENANT_B} == TENANT_B
    assert {k: plain.get_object(bucket, k) for k in LOOKALIKE} == LOOKALIKE
    assert under(plain, bucket, "tenant-a/") == (0, 0, 0)
    assert (done.bucket, done.prefix, done.bucket_deleted) == (bucket, "tenant-a/", False)
    assert (done.objects_deleted, done.uploads_aborted) == (8, 1)
    # empty now: without force it succeeds and still keeps the bucket
    again = tenant_a.delete_bucket(bucket)
    assert (again.bucket_deleted, again.objects_deleted) == (False, 0)
    assert plain.bucket_exists(bucket)
    tenant_a.close()
    tenant_b.close()


def test_scoped_delete_bucket_without_force_refuses_and_deletes_nothing(
    ceph_server: S3Server, shared: tuple[str, S3Store]
) -> None:
    """Without force, a tenant store whose prefix holds objects raises BucketNotEmpty
    naming its prefix and deletes nothing; with its prefix empty it succeeds and keeps the
    bucket, even a bucket that holds no object at all (others may share it)."""
    bucket, plain = shared
    tenant_a = S3Store(config_for(ceph_server, prefix="tenant-a"))
    empty = unique_bucket_name("tenants")
    plain.create_bucket(empty)
    try:
        done = tenant_a.delete_bucket(empty)
        assert plain.bucket_exists(empty)
        assert (done.bucket_deleted, done.objects_deleted) == (False, 0)
    finally:
        with contextlib.suppress(Exception):
            plain.delete_bucket(empty, force=True)
    tenant_a.put_object(bucket, "x/1.txt", b"a one")
    with pytest.raises(BucketNotEmpty, match="tenant-a/"):
        tenant_a.delete_bucket(bucket)
    assert tenant_a.get_object(bucket, "x/1.txt") == b"a one"
    assert {k: plain.get_object(bucket, k) for k in LOOKALIKE} == LOOKALIKE
    tenant_a.close()


def test_facade_delete_bucket_of_a_tenant_keeps_the_others(
    ceph_server: S3Server, shared: tuple[str, S3Store]
) -> None:
    """Bucket(BUCKET_PREFIX=tenant-a).delete_bucket(force=True) returns success, tenant-a
    is empty, tenant-b and the bucket are intact."""
    bucket, plain = shared
    tenant_b = S3Store(config_for(ceph_server, prefix="tenant-b"))
    tenant_b.put_object(bucket, "keep.txt", b"b keep")
    facade = Bucket(config=config_for(ceph_server, prefix="tenant-a"))
    try:
        assert facade.upload_stream(bucket, io.BytesIO(b"a"), "x/1.txt") == facade.success
        assert facade.delete_bucket(bucket, force=True) == facade.success
    finally:
        facade.disconnect()
    assert plain.bucket_exists(bucket)
    assert under(plain, bucket, "tenant-a/")[:2] == (0, 0)
    assert tenant_b.get_object(bucket, "keep.txt") == b"b keep"
    tenant_b.close()


def test_cli_rb_force_with_a_prefix_keeps_the_bucket(
    ceph_server: S3Server, shared: tuple[str, S3Store], tmp_path: Path
) -> None:
    """``bucket rb --force s3://b`` with BUCKET_PREFIX=tenant-a exits 0, prints that the
    bucket was kept and only tenant-a/ emptied, and tenant-b's bytes are intact."""
    bucket, plain = shared
    plain.put_object(bucket, "tenant-a/x/1.txt", b"a one")
    plain.put_object(bucket, "tenant-b/keep.txt", b"b keep")
    env = {**s3_env(ceph_server, tmp_path), "BUCKET_PREFIX": "tenant-a"}
    done = subprocess.run(
        [str(BUCKET_BIN), "rb", "--force", f"s3://{bucket}"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "kept" in done.stdout and f"s3://{bucket}/tenant-a/" in done.stdout
    assert plain.bucket_exists(bucket)
    assert not plain.object_exists(bucket, "tenant-a/x/1.txt")
    assert plain.get_object(bucket, "tenant-b/keep.txt") == b"b keep"


def test_local_store_with_a_prefix_empties_only_its_folder(tmp_path: Path) -> None:
    """A LocalStore with a key prefix: delete_bucket refuses without force, and with force
    deletes tenant-a's objects (a damaged one included), keeps tenant-b's bytes, the
    look-alike keys and the bucket folder, and says the bucket was kept."""
    root = str(tmp_path / "root")
    plain = LocalStore(BucketConfig(storage_type="local", local_root=root))
    tenant_a = LocalStore(BucketConfig(storage_type="local", local_root=root, prefix="tenant-a"))
    plain.create_bucket("shared")
    for key, data in {**LOOKALIKE, "tenant-b/keep.txt": b"b keep"}.items():
        plain.put_object("shared", key, data)
    for key, data in TENANT_A.items():
        tenant_a.put_object("shared", key, data)
    damaged = tenant_a.object_path("shared", "y.txt")
    damaged.write_bytes(damaged.read_bytes()[:-1])
    with pytest.raises(BucketNotEmpty):
        tenant_a.delete_bucket("shared")

    done = tenant_a.delete_bucket("shared", force=True)

    assert plain.bucket_exists("shared")
    keys = sorted(e.key for e in plain.list_objects("shared") if isinstance(e, ObjectInfo))
    assert keys == sorted([*LOOKALIKE, "tenant-b/keep.txt"])
    assert plain.get_object("shared", "tenant-b/keep.txt") == b"b keep"
    assert not (tmp_path / "root" / "shared" / "tenant-a").exists()
    assert (done.prefix, done.bucket_deleted, done.objects_deleted) == ("tenant-a/", False, 3)
