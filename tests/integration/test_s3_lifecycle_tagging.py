"""Issue 3 item 5: storage classes, lifecycle rules, object tags on real servers."""

from __future__ import annotations

from backend.src.libs.bucket import Bucket
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.s3.admin import LifecycleRule
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase


def test_storage_class_per_object_and_default(s3case: ServerCase) -> None:
    """STANDARD_IA per object and as store default shows in HEAD and in listings."""
    s3case.store.put_object(
        s3case.bucket,
        "ia.txt",
        b"x",
        options=WriteOptions(storage_class="STANDARD_IA"),
    )
    store = S3Store(s3case.config(storage_class="STANDARD_IA"))
    store.put_object(s3case.bucket, "default.txt", b"x")
    for key in ("ia.txt", "default.txt"):
        assert s3case.store.head_object(s3case.bucket, key).storage_class == "STANDARD_IA"
    listed = {o.key: o.storage_class for o in s3case.store.list_objects(s3case.bucket)}  # type: ignore[union-attr]
    assert listed == {"ia.txt": "STANDARD_IA", "default.txt": "STANDARD_IA"}
    store.close()


def test_lifecycle_set_get_delete(s3case: ServerCase) -> None:
    """The default policy (30 d IA, 90 d GLACIER, expire 365, abort MPU 7 d) round-trips
    and can be deleted."""
    s3case.need("lifecycle-transitions")
    bucket = Bucket(config=s3case.config())
    assert bucket.set_lifecycle(s3case.bucket) == bucket.success
    rules = s3case.store.get_lifecycle(s3case.bucket)
    assert len(rules) == 1
    rule = rules[0]
    assert rule.transitions == ((30, "STANDARD_IA"), (90, "GLACIER"))
    assert rule.expiration_days == 365 and rule.abort_multipart_days == 7
    assert bucket.delete_lifecycle(s3case.bucket) == bucket.success
    assert s3case.store.get_lifecycle(s3case.bucket) == ()


def test_lifecycle_expiration_and_abort_only(s3case: ServerCase) -> None:
    """A rule with only expiry and abort-incomplete-multipart (no transition) round-trips."""
    rule = LifecycleRule(id="logs", prefix="logs/", expiration_days=30, abort_multipart_days=2)
    try:
        s3case.store.set_lifecycle(s3case.bucket, [rule])
    except Exception as exc:  # record the gap rather than hide it
        raise AssertionError(f"{s3case.name} refused an expiration-only rule: {exc}") from exc
    (got,) = s3case.store.get_lifecycle(s3case.bucket)
    assert got.id == "logs" and got.prefix == "logs/" and got.expiration_days == 30


def test_object_tags(s3case: ServerCase) -> None:
    """Tags given on put, replaced, read and deleted."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "t.txt", b"x", options=WriteOptions(tags={"team": "a", "kind": "log"}))
    assert store.get_object_tags(b, "t.txt") == {"team": "a", "kind": "log"}
    store.set_object_tags(b, "t.txt", {"team": "b"})
    assert store.get_object_tags(b, "t.txt") == {"team": "b"}
    store.delete_object_tags(b, "t.txt")
    assert store.get_object_tags(b, "t.txt") == {}
