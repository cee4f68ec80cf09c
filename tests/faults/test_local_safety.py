"""LocalStore safety on the real file system: no write escapes the root, and a writer killed
at any moment leaves one whole generation of an object (never a mix), never a torn file.

``tests/unit/test_local_store.py`` already checks the key -> path mapping as a property and
one SIGKILL in the middle of a slow stream; these tests add real writes of arbitrary keys
(checked on disk after each one) and kills at random moments of back-to-back overwrites.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.src.libs.bucket import BucketConfig, InvalidArgument
from backend.src.libs.bucket.local.store import LocalStore

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "safety-bucket"

# keys built from the characters that matter to a file system
_TRICKY = st.sampled_from(["/", ".", "..", "~", "%", "\\", "\x00", "\n", " ", "é", "😀", "a", "B"])
_KEYS = st.one_of(
    st.text(min_size=0, max_size=60),
    st.lists(_TRICKY, min_size=1, max_size=20).map("".join),
    st.lists(st.sampled_from(["..", ".", "", "a", "%2E%2E", "~", "/etc/passwd"]), min_size=1,
             max_size=6).map("/".join),
)


def _files_under(folder: Path) -> list[Path]:
    return [Path(dirpath, name) for dirpath, _, names in os.walk(folder) for name in names]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.lists(_KEYS, min_size=1, max_size=4), prefix=st.sampled_from(["", "tenant/"]))
def test_arbitrary_keys_never_escape_the_root(keys: list[str], prefix: str) -> None:
    """Property: whatever the keys, after each write every file on disk is inside the bucket
    folder, the sandbox around the root holds nothing else, and an accepted key reads back
    its bytes and lists under its own name (BUCKET_PORTABLE_KEYS=false, so that empty and
    '.' segments reach the folder encoding)."""
    with tempfile.TemporaryDirectory() as sandbox_text:
        sandbox = Path(sandbox_text)
        root = sandbox / "root"
        store = LocalStore(BucketConfig(
            storage_type="local", local_root=str(root), prefix=prefix, portable_keys=False
        ))
        store.create_bucket(BUCKET)
        bucket_dir = (root / BUCKET).resolve()
        stored: dict[str, bytes] = {}
        for index, key in enumerate(keys):
            data = f"{index}:{key!r}".encode("utf-8", "surrogatepass")
            try:
                store.put_object(BUCKET, key, data)
            except InvalidArgument:
                pass
            else:
                stored[key] = data
            for path in _files_under(sandbox):
                resolved = path.resolve()
                assert os.path.commonpath([bucket_dir, resolved]) == str(bucket_dir), (key, path)
            assert sorted(p.name for p in sandbox.iterdir()) == ["root"]
        for key, data in stored.items():
            assert store.get_object(BUCKET, key) == data
        listed = sorted(e.key for e in store.list_objects(BUCKET))  # type: ignore[union-attr]
        assert listed == sorted(stored)


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.local.store import LocalStore
    from backend.src.libs.bucket.base.options import WriteOptions

    store = LocalStore(BucketConfig(storage_type="local", local_root=sys.argv[2]))
    size = int(sys.argv[3])
    generation = 0
    while True:
        generation += 1
        block = bytes([generation % 251]) * size
        options = WriteOptions(metadata={"gen": str(generation)})
        store.put_object("safety-bucket", "obj", block, options=options)
        sys.stdout.write(f"{generation}\\n")
        sys.stdout.flush()
    """
)


@pytest.mark.parametrize("round_", range(6))
def test_writer_killed_at_random_moment_leaves_one_whole_generation(
    tmp_path: Path, round_: int
) -> None:
    """A process overwriting one key in a loop is SIGKILLed at a random moment: the object
    is exactly one generation (bytes, size, ETag and metadata agree), never a torn mix."""
    size = 2 * 1024 * 1024
    root = tmp_path / "root"
    store = LocalStore(BucketConfig(storage_type="local", local_root=str(root)))
    store.create_bucket(BUCKET)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ROOT), str(root), str(size)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"
        time.sleep(random.Random(round_).uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    data = store.get_object(BUCKET, "obj")
    info = store.head_object(BUCKET, "obj")
    generation = int(info.metadata["gen"])
    assert data == bytes([generation % 251]) * size
    assert info.size == size
    assert info.etag == hashlib.md5(data).hexdigest()
    assert [e.key for e in store.list_objects(BUCKET)] == ["obj"]  # type: ignore[union-attr]
