"""The destructive-work planner (``planner.py``): scopes as folders, plans refused before
the first request, moves that keep every byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import IntegrityError, InvalidArgument
from backend.src.libs.bucket.base.planner import (
    DeletePlan,
    Move,
    OutOfScope,
    Scope,
    as_folder,
    delete_planned,
    move_verified,
    plan_deletes,
    plan_moves,
    verify_copy,
)
from backend.src.libs.bucket.base.store import ObjectInfo, UploadResult
from backend.src.libs.bucket.local.store import LocalStore

KEYS = st.text(alphabet="ab/-[]?*", min_size=1, max_size=6)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    """A local store with one bucket, ``bkt``."""
    local = LocalStore(BucketConfig.from_env({}, storage_type="local", local_root=str(tmp_path)))
    local.create_bucket("bkt")
    yield local
    local.close()


def test_a_prefix_is_a_folder() -> None:
    """``Scope("b", "site")`` holds ``site/x`` but neither ``site-other/x`` nor ``site``."""
    scope = Scope("bkt", "site")
    assert scope.prefix == "site/" and as_folder("") == "" and as_folder("a/") == "a/"
    assert scope.holds("site/x") and scope.holds("site/a/b")
    assert not scope.holds("site-other/x") and not scope.holds("site")


@given(prefix=KEYS, keys=st.lists(KEYS, max_size=12))
@settings(max_examples=300, deadline=None)
def test_plan_refuses_any_key_outside_its_folder(prefix: str, keys: list[str]) -> None:
    """A plan holds exactly the keys of its folder; with one key outside, it is refused
    whole (``OutOfScope`` names that key), whatever characters the keys hold."""
    scope = Scope("bkt", prefix)
    outside = [k for k in keys if not k.startswith(as_folder(prefix))]
    if outside:
        with pytest.raises(OutOfScope) as caught:
            plan_deletes(scope, keys, operation="rm")
        assert caught.value.key == outside[0]
    else:
        assert plan_deletes(scope, keys, operation="rm").keys == tuple(dict.fromkeys(keys))


def test_keep_rule_keeps_keys_with_their_reason() -> None:
    """Keys the ``keep`` rule names stay in ``plan.kept`` with its reason, never in
    ``plan.keys``."""
    plan = plan_deletes(
        Scope("bkt", "d"),
        ["d/a", "d/b", "d/c"],
        operation="sync",
        keep=lambda key: "unreadable" if key == "d/b" else None,
    )
    assert plan.keys == ("d/a", "d/c") and plan.kept == (("d/b", "unreadable"),)


def test_delete_planned_refuses_a_hand_built_plan(store: LocalStore) -> None:
    """A ``DeletePlan`` built by hand with a key outside its scope deletes nothing."""
    store.put_object("bkt", "other/x", b"x")
    with pytest.raises(OutOfScope):
        delete_planned(store, DeletePlan(Scope("bkt", "d"), ("other/x",)))
    assert store.get_object("bkt", "other/x") == b"x"


@pytest.mark.parametrize(
    ("source", "destination", "moves", "words"),
    [
        ("a", "a/a", [Move("a/x", "a/a/x")], "lies inside the source"),
        ("a", "a", [Move("a/x", "a/x")], "lies inside the source"),
        ("p/q", "p", [Move("p/q/x", "p/x"), Move("p/q/q/x", "p/q/x")], "which is itself moved"),
        ("s", "d", [Move("s/x", "d/x"), Move("s/y", "d/x")], "would both land on"),
    ],
)
def test_unsafe_moves_are_refused(
    source: str, destination: str, moves: list[Move], words: str
) -> None:
    """A destination inside its source, one move onto another's source, and two sources
    onto one key are refused (``UnsafeMove``) before anything is sent."""
    with pytest.raises(InvalidArgument) as caught:
        plan_moves(Scope("bkt", source), Scope("bkt", destination), moves)
    assert caught.value.code == "UnsafeMove" and words in caught.value.message


def test_copies_may_nest_but_not_overlap() -> None:
    """``keep_sources`` (cp) allows a destination folder inside the source, but not a
    copy onto another copy's source."""
    plan_moves(Scope("bkt", "a"), Scope("bkt", "a/a"), [Move("a/x", "a/a/x")], keep_sources=True)
    with pytest.raises(InvalidArgument):
        plan_moves(
            Scope("bkt", "a"),
            Scope("bkt", "a/a"),
            [Move("a/x", "a/a/x"), Move("a/a/x", "a/a/a/x")],
            keep_sources=True,
        )


def test_verify_copy_compares_size_and_plain_etags() -> None:
    """A copy of another size, or with another plain MD5 ETag, is refused; multipart
    ETags (``-N``) are compared with what the copy reported instead."""
    source = ObjectInfo(bucket="bkt", key="s", size=3, etag="0" * 32)
    verify_copy(source, ObjectInfo(bucket="bkt", key="d", size=3, etag="0" * 32))
    with pytest.raises(IntegrityError):
        verify_copy(source, ObjectInfo(bucket="bkt", key="d", size=4, etag="0" * 32))
    with pytest.raises(IntegrityError):
        verify_copy(source, ObjectInfo(bucket="bkt", key="d", size=3, etag="1" * 32))
    multipart = ObjectInfo(bucket="bkt", key="s", size=3, etag="a" * 32 + "-2")
    written = ObjectInfo(bucket="bkt", key="d", size=3, etag="b" * 32)
    verify_copy(multipart, written, UploadResult(bucket="bkt", key="d", size=3, etag="b" * 32))
    with pytest.raises(IntegrityError):
        verify_copy(multipart, written, UploadResult(bucket="bkt", key="d", size=3, etag="c" * 32))


class _BadCopies(LocalStore):
    """A local store whose copies write other bytes (a server that corrupts a copy)."""

    def copy_object(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str,
                    **kwargs: object) -> UploadResult:
        return self.put_object(dst_bucket, dst_key, b"garbage!")


def test_move_keeps_the_source_when_the_copy_does_not_verify(tmp_path: Path) -> None:
    """``move_verified`` reads the copy back before deleting: a copy that differs raises
    ``IntegrityError`` and the source keeps its bytes."""
    bad = _BadCopies(BucketConfig.from_env({}, storage_type="local", local_root=str(tmp_path)))
    bad.create_bucket("bkt")
    bad.put_object("bkt", "src", b"precious")
    with pytest.raises(IntegrityError):
        move_verified(bad, "bkt", "src", "bkt", "dst")
    assert bad.get_object("bkt", "src") == b"precious"


def test_move_object_moves_once(store: LocalStore) -> None:
    """A verified move leaves the bytes at the destination only."""
    store.put_object("bkt", "src", b"bytes")
    store.move_object("bkt", "src", "bkt", "dst")
    assert store.get_object("bkt", "dst") == b"bytes"
    assert not store.object_exists("bkt", "src")


def test_batch_delete_checks_every_key_before_the_first_batch(store: LocalStore) -> None:
    """``delete_files`` with a key the portable rule refuses at position 1000 (past the
    first batch) deletes nothing; a folder marker passes the rule for deletes."""
    from backend.src.libs.bucket.features import batch

    keys = [f"k/{i:04}" for i in range(1000)]
    for key in keys[:3]:
        store.put_object("bkt", key, b"x")
    with pytest.raises(InvalidArgument) as caught:
        batch.delete_keys(store, "bkt", [*keys, "a//b"])
    assert "keys[1000]" in caught.value.message
    assert [e.key for e in store.list_objects("bkt")] == keys[:3]
    assert batch.delete_keys(store, "bkt", [*keys[:3], "k/"]).ok
    assert list(store.list_objects("bkt")) == []
