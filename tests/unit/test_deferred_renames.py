"""``localfiles.deferred_renames``: many downloads made durable with one flush of their
file system, then renamed, so each target is whole (old or new) at every moment, and a
failure or an interrupt leaves no temporary (issue 25, item 9)."""

from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backend.src.libs.bucket.base import files as localfiles
from backend.src.libs.bucket.base.files import atomic_file, deferred_renames, is_temporary


def _write(target: Path, data: bytes) -> None:
    with atomic_file(target) as fd:
        os.write(fd, data)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_targets_change_only_at_the_commit_after_one_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the block a written file is a temporary beside an untouched target, nothing
    is fsynced; at the end one flush runs before any rename, then every target holds its
    new bytes and no temporary is left."""
    order: list[str] = []
    real_flush, real_replace = localfiles._flush, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: order.append("fsync"))
    monkeypatch.setattr(localfiles, "_flush", lambda temps: (order.append("flush"), real_flush(temps)))
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("rename"), real_replace(a, b)))
    (tmp_path / "a.txt").write_bytes(b"old a")
    with deferred_renames() as deferred:
        _write(tmp_path / "a.txt", b"new a")
        _write(tmp_path / "b.txt", b"new b")
        assert (tmp_path / "a.txt").read_bytes() == b"old a"
        assert not (tmp_path / "b.txt").exists()
        assert sum(is_temporary(name) for name in _names(tmp_path)) == 2
    assert order[0] == "flush" and order[1:3] == ["rename", "rename"] and "fsync" not in order
    assert _names(tmp_path) == ["a.txt", "b.txt"]
    assert (tmp_path / "a.txt").read_bytes() == b"new a" and deferred.renamed == 2


def test_an_error_removes_the_temporaries_and_keeps_the_targets(tmp_path: Path) -> None:
    """An exception (or Ctrl-C) inside the block: no target is replaced, no temporary is
    left, and the error goes on."""
    (tmp_path / "a.txt").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), deferred_renames():
        _write(tmp_path / "a.txt", b"new")
        _write(tmp_path / "b.txt", b"new")
        raise KeyboardInterrupt
    assert _names(tmp_path) == ["a.txt"] and (tmp_path / "a.txt").read_bytes() == b"old"


def test_a_failed_flush_renames_nothing_and_names_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the flush fails (a write-back error), no file of that group is renamed, their
    temporaries are removed, and ``failures`` names each target with the error."""

    def broken(temps: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(localfiles, "_flush", broken)
    with deferred_renames() as deferred:
        _write(tmp_path / "a.txt", b"a")
        _write(tmp_path / "b.txt", b"b")
    assert _names(tmp_path) == []
    assert sorted(p.name for p in deferred.failures) == ["a.txt", "b.txt"]


def test_limits_commit_as_files_accumulate_and_stamps_set_mtimes(tmp_path: Path) -> None:
    """With ``files=2``, the second file commits the first two while the block runs; a
    stamped target gets its mtime (ns) before the flush."""
    with deferred_renames(files=2) as deferred:
        deferred.stamp(tmp_path / "a", 1_000_000_000_123_456_000)
        _write(tmp_path / "a", b"a")
        _write(tmp_path / "b", b"b")
        assert _names(tmp_path) == ["a", "b"]
        _write(tmp_path / "c", b"c")
        assert not (tmp_path / "c").exists()
    assert (tmp_path / "a").stat().st_mtime_ns == 1_000_000_000_123_456_000
    assert _names(tmp_path) == ["a", "b", "c"]


def test_worker_threads_write_into_the_callers_batch(tmp_path: Path) -> None:
    """Threads running in a copy of the caller's context (as ``batch`` runs them) defer to
    the caller's batch: nothing lands before the block ends, all twenty after it."""
    with deferred_renames() as deferred, ThreadPoolExecutor(4) as pool:
        jobs = [
            pool.submit(contextvars.copy_context().run, _write, tmp_path / f"f{i}", b"x")
            for i in range(20)
        ]
        for job in jobs:
            job.result()
        assert not any((tmp_path / f"f{i}").exists() for i in range(20))
    assert deferred.renamed == 20 and len(_names(tmp_path)) == 20
