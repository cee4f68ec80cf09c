"""Issue 3 item 10: key prefix per store and content-type guessing on real servers."""

from __future__ import annotations

from backend.src.libs.bucket.options import WriteOptions
from backend.src.libs.bucket.s3_store import S3Store
from backend.src.libs.bucket.store import ObjectInfo
from tests.conftest import ServerCase


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
