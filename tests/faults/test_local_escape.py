"""LocalStore and symbolic links (issue 15, item 7): no link inside or at the root is
followed, so nothing planted under the root can make a put, get, delete, listing or bucket
deletion reach a file outside it.

Every test builds the attack on the real file system: an ``outside`` folder beside the root
holding a valid object file, and a link to it planted where the store would look.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from backend.src.libs.bucket import BucketConfig, ObjectInfo, PermissionDenied
from backend.src.libs.bucket.local.store import LocalStore

BUCKET = "escape-bucket"
SECRET = b"outside the root"


def make_store(root: Path) -> LocalStore:
    return LocalStore(BucketConfig(storage_type="local", local_root=str(root)))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with the bucket ``BUCKET``, and ``tmp_path/outside`` holding the object file
    ``x~`` (the object ``x``, as the store writes it) next to it."""
    store = make_store(tmp_path / "root")
    store.create_bucket(BUCKET)
    store.put_object(BUCKET, "x", SECRET)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(store.object_path(BUCKET, "x"), outside / "x~")
    store.delete_object(BUCKET, "x")
    return tmp_path / "root"


def outside_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root.parent / "outside").iterdir())


def test_put_through_a_linked_folder_is_refused(root: Path) -> None:
    """A folder of the key's path that is a link to a folder outside the root: put raises
    PermissionDenied naming the link, and nothing is written outside the root."""
    (root / BUCKET / "photos").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    with pytest.raises(PermissionDenied) as caught:
        store.put_object(BUCKET, "photos/new", b"data")
    assert caught.value.code == "SymlinkRefused"
    assert "photos" in caught.value.message and "symbolic link" in caught.value.message
    assert outside_files(root) == ["x~"]


def test_put_through_a_deep_linked_folder_is_refused(root: Path) -> None:
    """A link two folders down is refused too (every component is opened without following)."""
    (root / BUCKET / "a").mkdir()
    (root / BUCKET / "a" / "b").symlink_to(root.parent / "outside", target_is_directory=True)
    with pytest.raises(PermissionDenied):
        make_store(root).put_object(BUCKET, "a/b/c", b"data")
    assert outside_files(root) == ["x~"]


def test_get_head_download_through_a_linked_folder_are_refused(root: Path, tmp_path: Path) -> None:
    """get, head, open and download of a key whose folder is a link outside the root raise
    PermissionDenied and never return the outside file's bytes."""
    (root / BUCKET / "photos").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    target = tmp_path / "copy"
    calls = [
        lambda: store.get_object(BUCKET, "photos/x"),
        lambda: store.head_object(BUCKET, "photos/x"),
        lambda: store.open_object(BUCKET, "photos/x"),
        lambda: store.download_file(BUCKET, "photos/x", target),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not target.exists()


def test_delete_through_a_linked_folder_is_refused(root: Path) -> None:
    """delete_object and delete_objects of a key under a linked folder delete nothing
    outside the root: the single delete raises, the batch reports the key as an error."""
    (root / BUCKET / "photos").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    with pytest.raises(PermissionDenied):
        store.delete_object(BUCKET, "photos/x")
    result = store.delete_objects(BUCKET, ["photos/x"])
    assert result.deleted == ()
    assert [(e.key, e.code) for e in result.errors] == [("photos/x", "SymlinkRefused")]
    assert outside_files(root) == ["x~"]
    assert (root / BUCKET / "photos").is_symlink()


def test_object_file_that_is_a_link_is_refused_and_not_listed(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An object file replaced by a link to a valid object file outside: get raises
    PermissionDenied, the listing skips it with a warning naming it, an overwrite replaces
    the link itself (the outside file keeps its bytes)."""
    (root / BUCKET / "y~").symlink_to(root.parent / "outside" / "x~")
    store = make_store(root)
    store.put_object(BUCKET, "z", b"inside")
    with pytest.raises(PermissionDenied):
        store.get_object(BUCKET, "y")
    with caplog.at_level(logging.WARNING, logger="bucket.local"):
        listed = [e.key for e in store.list_objects(BUCKET) if isinstance(e, ObjectInfo)]
    assert listed == ["z"]
    assert "y~" in caplog.text
    store.put_object(BUCKET, "y", b"new")
    assert store.get_object(BUCKET, "y") == b"new"
    assert (root.parent / "outside" / "x~").read_bytes().startswith(SECRET)


def test_linked_folders_are_not_listed(root: Path) -> None:
    """A link to a folder of objects is not walked: the listing shows only real objects."""
    (root / BUCKET / "photos").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    store.put_object(BUCKET, "real", b"1")
    assert [e.key for e in store.list_objects(BUCKET)] == ["real"]  # type: ignore[union-attr]
    assert [e.key for e in store.list_objects(BUCKET, prefix="photos/")] == []  # type: ignore[union-attr]


def test_linked_bucket_folder_is_refused(root: Path) -> None:
    """A bucket folder that is a link: every object operation raises PermissionDenied naming
    it, list_buckets does not show it, and bucket_exists is False."""
    (root / "linked").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    calls = [
        lambda: store.put_object("linked", "new", b"data"),
        lambda: store.get_object("linked", "x"),
        lambda: store.delete_object("linked", "x"),
        lambda: list(store.list_objects("linked")),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as caught:
            call()
        assert "linked" in caught.value.message
    assert [b.name for b in store.list_buckets()] == [BUCKET]
    assert store.bucket_exists("linked") is False
    assert outside_files(root) == ["x~"]


def test_creating_a_bucket_over_a_link_is_refused(root: Path) -> None:
    """create_bucket (and ensure_bucket) where the bucket's name is a link to a folder:
    PermissionDenied (code SymlinkRefused) naming it, as every other call says, instead of
    succeeding (``ensure_bucket`` reported it created while puts were refused); nothing is
    written through the link."""
    (root / "linked").symlink_to(root.parent / "outside", target_is_directory=True)
    store = make_store(root)
    for exist_ok in (True, False):
        with pytest.raises(PermissionDenied) as caught:
            store.create_bucket("linked", exist_ok=exist_ok)
        assert caught.value.code == "SymlinkRefused" and "linked" in caught.value.message
    with pytest.raises(PermissionDenied) as caught:
        store.ensure_bucket("linked")
    assert caught.value.code == "SymlinkRefused"
    assert store.bucket_exists("linked") is False
    assert outside_files(root) == ["x~"]


def test_force_delete_of_a_linked_bucket_changes_nothing(root: Path) -> None:
    """delete_bucket(force=True) on a bucket folder that is a link raises PermissionDenied;
    the link, the outside data and the root's entries are as before (no ``.deleted-*``)."""
    (root / "linked").symlink_to(root.parent / "outside", target_is_directory=True)
    before = sorted(os.listdir(root))
    with pytest.raises(PermissionDenied):
        make_store(root).delete_bucket("linked", force=True)
    assert sorted(os.listdir(root)) == before
    assert (root / "linked").is_symlink()
    assert outside_files(root) == ["x~"]


def test_root_that_is_a_link_is_refused(root: Path, tmp_path: Path) -> None:
    """A local root that is itself a link: ping and every operation raise PermissionDenied
    naming the root (links above the root are the operator's choice and are followed)."""
    link = tmp_path / "root-link"
    link.symlink_to(root, target_is_directory=True)
    store = make_store(link)
    calls = [
        store.ping,
        store.list_buckets,
        lambda: store.put_object(BUCKET, "new", b"data"),
        lambda: store.get_object(BUCKET, "x"),
        lambda: store.delete_bucket(BUCKET, force=True),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as caught:
            call()
        assert str(link) in caught.value.message
    assert (root / BUCKET).is_dir()
    above = tmp_path / "above-link"
    above.symlink_to(tmp_path, target_is_directory=True)
    via_parent = make_store(above / "root")
    via_parent.put_object(BUCKET, "ok", b"fine")
    assert via_parent.get_object(BUCKET, "ok") == b"fine"
