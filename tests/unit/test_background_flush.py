"""``localfiles.BackgroundFlush``: a download's bytes flushed to disk while it runs, one
flush at a time, its error never lost (the kernel reports a write-back error once)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from backend.src.libs.bucket.base import files as localfiles
from backend.src.libs.bucket.base.files import BackgroundFlush, flushing


def test_a_flush_starts_each_time_every_bytes_are_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every=100: 250 bytes reported in 50-byte writes start two flushes (at 100 and
    200 pending), each of the file's descriptor, none while another runs."""
    calls: list[int] = []
    running = threading.Lock()

    def datasync(fd: int) -> None:
        assert running.acquire(blocking=False), "two flushes at once"
        calls.append(fd)
        running.release()

    monkeypatch.setattr(localfiles, "_datasync", datasync)
    fd = os.open(tmp_path / "f", os.O_CREAT | os.O_WRONLY)
    try:
        with flushing(fd, every=100) as flush:
            for _ in range(5):
                os.write(fd, b"x" * 50)
                flush.wrote(50)
                flush.wait()  # the flush finished: the next may start
        assert calls == [fd, fd] and flush.flushes == 2
    finally:
        os.close(fd)


def test_no_second_flush_while_one_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a flush is running, more bytes do not start another; they count towards the
    next one, which starts once the first is done."""
    release = threading.Event()
    calls: list[int] = []

    def slow(fd: int) -> None:
        calls.append(fd)
        release.wait(5)

    monkeypatch.setattr(localfiles, "_datasync", slow)
    fd = os.open(tmp_path / "f", os.O_CREAT | os.O_WRONLY)
    try:
        flush = BackgroundFlush(fd, every=10)
        flush.wrote(10)
        flush.wrote(30)  # the first still runs: nothing new
        assert flush.flushes == 1
        release.set()
        flush.wait()
        flush.wrote(1)  # 31 pending, none running: the second starts
        flush.wait()
        assert flush.flushes == 2 and len(calls) == 2
    finally:
        os.close(fd)


def test_a_failed_background_flush_is_raised_by_wait() -> None:
    """fdatasync on a pipe fails (EINVAL): the error is kept and raised on the clean exit
    of ``flushing``, and no later flush starts."""
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError), flushing(write_end, every=1) as flush:
            flush.wrote(1)
        assert flush.flushes == 1
        flush.wrote(10)
        assert flush.flushes == 1
    finally:
        os.close(read_end)
        os.close(write_end)


def test_another_error_is_not_masked_by_a_flush_error() -> None:
    """An error inside the block propagates as itself even when a flush failed too."""
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(KeyError), flushing(write_end, every=1) as flush:
            flush.wrote(1)
            raise KeyError("the download's own error")
    finally:
        os.close(read_end)
        os.close(write_end)
