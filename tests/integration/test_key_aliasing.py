"""Keys that alias (issue 22, fault 10), on Ceph RGW and SeaweedFS.

SeaweedFS keeps keys as file paths: it folds ``a//b`` onto ``a/b``, ``p\\q`` onto ``p/q``,
``/a`` onto ``a``, makes ``a/`` a folder (its body is lost and it collides with ``a``),
refuses ``.``/``..`` segments and a last segment over 255 bytes. With
``BUCKET_PORTABLE_KEYS`` on (the default) every store refuses those keys before any
request, so a write can never replace another key's object, and a sync from such a
server never renames a key. ``docs/compatibility.md`` has the measurements.
"""

from __future__ import annotations

import pytest

from backend.src.libs.bucket import InvalidArgument
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

# (id, a key SeaweedFS folds, the key it folds onto, words the refusal must hold)
ALIASES = [
    ("empty-segment", "a//b", "a/b", "empty segment"),
    ("backslash", "p\\q", "p/q", "backslash"),
    ("leading-slash", "/a", "a", "starts with '/'"),
    ("trailing-slash", "a/", "a", "ends with '/'"),
]
# (id, a key some supported store refuses, words the refusal must hold)
REFUSED = [
    ("dot-segment", "a/./b", "'.' segment"),
    ("dot-dot-segment", "a/../b", "'..' segment"),
    ("control-character", "a\x01b", "control character"),
    ("last-segment-256-bytes", "d/" + "x" * 256, "256 bytes"),
    ("first-segment-256-bytes", "x" * 256 + "/f", "256 bytes"),
    ("segment-256-utf8-bytes", "d/" + "é" * 128, "256 bytes"),
]


def _keys(case: ServerCase) -> list[str]:
    return [e.key for e in case.store.list_objects(case.bucket)]  # type: ignore[union-attr]


def _refused(store: S3Store, bucket: str, key: str, words: str) -> None:
    """``put_object(key)`` raises InvalidArgument (code InvalidKey) naming the rule and the
    setting."""
    with pytest.raises(InvalidArgument) as caught:
        store.put_object(bucket, key, b"X")
    assert caught.value.code == "InvalidKey", caught.value
    assert words in str(caught.value) and "BUCKET_PORTABLE_KEYS" in str(caught.value)


def _dead_store(server: S3Server) -> S3Store:
    """A store whose endpoint refuses every connection: an ``InvalidArgument`` from it
    (not a ``ConnectionFailed``) shows the key was refused before any request."""
    return S3Store(
        config_for(server, endpoint_url="http://127.0.0.1:1", max_retries=0, connect_timeout=1)
    )


@pytest.mark.parametrize(
    ("odd", "plain", "words"), [a[1:] for a in ALIASES], ids=[a[0] for a in ALIASES]
)
def test_a_key_the_server_would_fold_cannot_replace_another(
    s3case: ServerCase, odd: str, plain: str, words: str
) -> None:
    """Default settings: ``put a//b`` (or ``p\\q``, ``/a``, ``a/``) is refused before any
    request and writes nothing; ``put a/b`` then writes the only object, which no read,
    existence check or delete of the odd key can reach."""
    store, bucket = s3case.store, s3case.bucket
    _refused(store, bucket, odd, words)
    dead = _dead_store(s3case.server)
    try:
        _refused(dead, bucket, odd, words)
    finally:
        dead.close()
    assert _keys(s3case) == []
    store.put_object(bucket, plain, b"Y")
    for call in (store.get_object, store.head_object, store.object_exists):
        with pytest.raises(InvalidArgument):
            call(bucket, odd)
    with pytest.raises(InvalidArgument):
        store.copy_object(bucket, plain, bucket, odd)
    if odd.endswith("/"):  # a folder marker may be deleted (rm -r of a console's folder)
        store.delete_object(bucket, odd)
        assert store.delete_objects(bucket, [odd]).ok
    else:
        with pytest.raises(InvalidArgument):
            store.delete_object(bucket, odd)
    assert _keys(s3case) == [plain]
    assert store.get_object(bucket, plain) == b"Y"


def test_folder_markers_can_be_deleted_with_default_settings(s3case: ServerCase) -> None:
    """A folder marker written by another tool (``d/``, as consoles make) is deleted by
    ``delete_object``, ``delete_objects`` and ``rm -r``'s path with the default settings,
    and deleting it touches neither ``d/x`` nor a file ``d``; ``d//`` is still refused."""
    config = s3case.store.config
    raw = S3Store(config_for(s3case.server, portable_keys=False))
    try:
        store, bucket = s3case.store, s3case.bucket
        raw.put_object(bucket, "d/x", b"X")
        raw.put_object(bucket, "d/", b"")
        raw.put_object(bucket, "e/", b"")
        assert config.portable_keys
        store.delete_object(bucket, "d/")
        assert store.delete_objects(bucket, ["e/"]).ok
        assert _keys(s3case) == ["d/x"]
        with pytest.raises(InvalidArgument):
            store.delete_object(bucket, "d//")
    finally:
        raw.close()


@pytest.mark.parametrize(("key", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_key_some_store_refuses_is_refused_on_every_server(
    s3case: ServerCase, key: str, words: str
) -> None:
    """Default settings: dot segments (SeaweedFS answers InvalidRequest), control characters
    (the local store refuses them) and a segment over 255 UTF-8 bytes, wherever it sits
    (SeaweedFS refuses a last segment that long, a folder any name that long), are refused
    before any request on Ceph as on SeaweedFS; nothing is written."""
    _refused(s3case.store, s3case.bucket, key, words)
    dead = _dead_store(s3case.server)
    try:
        _refused(dead, s3case.bucket, key, words)
    finally:
        dead.close()
    assert _keys(s3case) == []


def test_segments_of_255_bytes_and_keys_of_1024_bytes_pass(s3case: ServerCase) -> None:
    """The limits are inclusive: a segment of 255 UTF-8 bytes and a key of 1024 bytes made of
    such segments are written, read back and listed verbatim on both servers."""
    keys = ["d/" + "x" * 255, "é" * 127 + "e/f", "/".join(["y" * 255] * 3 + ["y" * 254, "z"])]
    assert len(keys[2].encode()) == 1024
    for key in keys:
        s3case.store.put_object(s3case.bucket, key, key.encode())
    for key in keys:
        assert s3case.store.get_object(s3case.bucket, key) == key.encode()
    assert _keys(s3case) == sorted(keys, key=str.encode)


def test_portable_keys_off_keeps_aliases_apart_on_ceph(ceph_server: S3Server) -> None:
    """BUCKET_PORTABLE_KEYS=false sends keys verbatim: on Ceph ``a//b`` and ``a/b`` (and
    ``p\\q``/``p/q``, ``/a``/``a``, ``a/``, ``a/./b``) are distinct objects, each read back
    with its own bytes."""
    store = S3Store(config_for(ceph_server, portable_keys=False))
    bucket = unique_bucket_name("alias")
    store.create_bucket(bucket)
    try:
        keys = ["a//b", "a/b", "p\\q", "p/q", "/a", "a", "a/", "a/./b"]
        for key in keys:
            store.put_object(bucket, key, key.encode())
        for key in keys:
            assert store.get_object(bucket, key) == key.encode()
        assert sorted(e.key for e in store.list_objects(bucket)) == sorted(keys)  # type: ignore[union-attr]
    finally:
        store.delete_bucket(bucket, force=True)
        store.close()


def test_seaweedfs_folds_keys_when_portable_keys_is_off(seaweed_server: S3Server) -> None:
    """What the rule prevents (the measurement, kept as a test so a SeaweedFS that stops
    folding shows here): with BUCKET_PORTABLE_KEYS=false, ``put a//b``=X then ``put a/b``=Y
    leaves one object; ``GET a//b`` returns Y and the listing shows only ``a/b``."""
    store = S3Store(config_for(seaweed_server, portable_keys=False))
    bucket = unique_bucket_name("alias")
    store.create_bucket(bucket)
    try:
        store.put_object(bucket, "a//b", b"X")
        store.put_object(bucket, "a/b", b"Y")
        assert store.get_object(bucket, "a//b") == b"Y"
        assert [e.key for e in store.list_objects(bucket)] == ["a/b"]  # type: ignore[union-attr]
    finally:
        store.delete_bucket(bucket, force=True)
        store.close()


def test_seaweedfs_creates_a_missing_bucket_on_put(seaweed_server: S3Server) -> None:
    """SeaweedFS creates a missing bucket on the first PUT into it, whatever
    BUCKET_AUTO_CREATE says (Ceph answers NoSuchBucket): docs/compatibility.md says so."""
    store = S3Store(config_for(seaweed_server, auto_create=False))
    bucket = unique_bucket_name("alias")
    try:
        assert not store.bucket_exists(bucket)
        store.put_object(bucket, "k", b"X")
        assert store.bucket_exists(bucket)
    finally:
        store.delete_bucket(bucket, force=True)
        store.close()
