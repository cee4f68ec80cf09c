"""Many small files downloaded at rclone's speed without giving up "whole or not at all"
(issue 25, item 9): ``cp -r`` and folder ``sync`` downloads make their files durable with
one flush of the file system per thousand files, not two fsyncs per file (the file, then
its folder). Each test runs the installed ``bucket`` in a subprocess, on Ceph RGW and on
the local store, counting the process's ``os.fsync`` calls with a ``sitecustomize``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.factory import make_store
from tests.cli.conftest import Cli

pytestmark = pytest.mark.integration

FILES = 60
COUNTER = '''
import atexit, os
_calls = [0]
_fsync = os.fsync
def _counted(fd):
    _calls[0] += 1
    return _fsync(fd)
os.fsync = _counted
def _write():
    with open(os.environ["FSYNC_COUNT_FILE"], "w") as handle:
        handle.write(str(_calls[0]))
atexit.register(_write)
'''


def _counting_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(COUNTER)
    count = tmp_path / "fsyncs"
    return {"PYTHONPATH": str(hook), "FSYNC_COUNT_FILE": str(count)}, count


def _upload_tree(cli: Cli, bucket: str) -> dict[str, bytes]:
    files = {f"d{i % 3}/f{i:03d}.bin": os.urandom(512 + i) for i in range(FILES)}
    files["big.bin"] = os.urandom(200 * 1024)  # above batch.WHOLE_GET: through download_file
    store = make_store(BucketConfig.from_env(cli.env))
    try:
        for relative, data in files.items():
            store.put_object(bucket, f"p/{relative}", data)
    finally:
        store.close()
    return files


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("command", ["cp", "sync"])
def test_bulk_download_flushes_once_not_per_file(
    cli: Cli, new_bucket: str, tmp_path: Path, command: str
) -> None:
    """``cp -r`` / ``sync`` of 61 objects (60 small ones read whole, one of 200 KiB through
    ``download_file``) into a folder: every file byte for byte at its path, no temporary
    left, and fewer than 5 ``os.fsync`` calls in the whole process (before: 122, one for
    each file and one for its folder)."""
    files = _upload_tree(cli, new_bucket)
    env, count = _counting_env(tmp_path)
    args = ("cp", "-r") if command == "cp" else ("sync",)
    cli.ok(*args, "-q", f"s3://{new_bucket}/p", "out", extra_env=env)
    assert _tree(cli.cwd / "out") == files
    assert int(count.read_text()) < 5, count.read_text()
