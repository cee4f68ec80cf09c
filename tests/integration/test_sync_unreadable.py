"""``sync(delete=True)`` deletes only what it has proven absent (issue 22, fault 1).

An object the local source lists but cannot read -- a damaged trailer, an object file
replaced by a symbolic link, a folder replaced by a link, a folder the process may not
open -- counts as present: its destination copy (every key under it, for a folder) keeps
its bytes, the run reports each as a failure (``report.ok`` False) and ``bucket sync
--delete`` exits 1. Real extras are still deleted. A prefix is a folder: a sync of
``site`` with ``delete`` never touches ``site-other/``.

Each case runs local -> local and local -> S3 (the project's Ceph RGW).

The unreadable folder is ``chmod 000``. Root reads it anyway (CAP_DAC_OVERRIDE), so as
root the sync runs in a child process started by ``setpriv`` with CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH dropped from its bounding set (the case is skipped, saying why,
where ``setpriv`` is missing).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.base.store import ObjectInfo
from backend.src.libs.bucket.features.sync import sync
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.cli.conftest import BUCKET_BIN, local_env, s3_env
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SETPRIV = shutil.which("setpriv")
AS_ROOT = os.geteuid() == 0
OBJECTS = {
    "a.txt": b"alpha: the object that gets damaged\n",
    "dir/c.txt": b"c under dir/\n",
    "dir/d.txt": b"d under dir/\n",
    "z.txt": b"zulu\n",
}
SRC_BUCKET = "src-media"


def local_store(root: Path, **settings: Any) -> LocalStore:
    """A local folder store rooted at ``root``."""
    return LocalStore(BucketConfig(storage_type="local", local_root=str(root), **settings))


def contents(store: Any, bucket: str) -> dict[str, bytes]:
    """Every object of ``bucket`` with its bytes."""
    return {
        e.key: store.get_object(bucket, e.key)
        for e in store.list_objects(bucket)
        if isinstance(e, ObjectInfo)
    }


# ------------------------------------------------------------------ the damage
def damage_trailer(store: LocalStore) -> None:
    """Flip the last byte of ``a.txt``'s file: its trailer's magic no longer matches."""
    path = store.object_path(SRC_BUCKET, "a.txt")
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))


def link_object(store: LocalStore) -> None:
    """Replace ``a.txt``'s file by a symbolic link to an intact copy of it elsewhere."""
    path = store.object_path(SRC_BUCKET, "a.txt")
    elsewhere = store.root.parent / "elsewhere-a.txt~"
    shutil.copyfile(path, elsewhere)
    path.unlink()
    path.symlink_to(elsewhere)


def link_folder(store: LocalStore) -> None:
    """Move the folder ``dir`` out of the store and put a symbolic link in its place."""
    folder = store.root / SRC_BUCKET / "dir"
    elsewhere = store.root.parent / "elsewhere-dir"
    shutil.move(str(folder), str(elsewhere))
    folder.symlink_to(elsewhere, target_is_directory=True)


def lock_folder(store: LocalStore) -> None:
    """``chmod 000`` the folder ``dir`` (restored by the test's teardown)."""
    (store.root / SRC_BUCKET / "dir").chmod(0)


DAMAGE: dict[str, Callable[[LocalStore], None]] = {
    "damaged trailer": damage_trailer,
    "symlinked object file": link_object,
    "symlinked folder": link_folder,
    "unreadable folder": lock_folder,
}
# keys whose destination copies must stay, and the failures each case reports: the
# damaged key itself, or the folder plus each destination key kept under it
KEPT = {
    "damaged trailer": (["a.txt"], ["a.txt"]),
    "symlinked object file": (["a.txt"], ["a.txt"]),
    "symlinked folder": (["dir/c.txt", "dir/d.txt"], ["dir/", "dir/c.txt", "dir/d.txt"]),
    "unreadable folder": (["dir/c.txt", "dir/d.txt"], ["dir/", "dir/c.txt", "dir/d.txt"]),
}


def needs_privilege_drop(damage: str) -> bool:
    """True when the case must run without CAP_DAC_OVERRIDE (root and a chmod 000 folder);
    skips it, saying why, when ``setpriv`` is not there to drop it."""
    if damage != "unreadable folder" or not AS_ROOT:
        return False
    if SETPRIV is None:
        pytest.skip(
            "running as root, which reads a chmod 000 folder (CAP_DAC_OVERRIDE), and "
            "setpriv (util-linux) is missing to drop that capability"
        )
    return True


def unprivileged(argv: list[str]) -> list[str]:
    """``argv`` run without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (root then obeys file
    modes, as any other user does)."""
    assert SETPRIV is not None
    return [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--", *argv]


# ---------------------------------------------------------------- the fixtures
@pytest.fixture
def source(tmp_path: Path) -> Iterator[LocalStore]:
    """A local source holding ``OBJECTS``; folder modes restored after the test."""
    store = local_store(tmp_path / "src-root")
    store.create_bucket(SRC_BUCKET)
    for key, data in OBJECTS.items():
        store.put_object(SRC_BUCKET, key, data)
    yield store
    with contextlib.suppress(OSError):
        (store.root / SRC_BUCKET / "dir").chmod(0o755)


class Destination:
    """One destination side: the store, its bucket, and how a child process (the CLI,
    the privilege-dropped driver) names it."""

    def __init__(self, kind: str, store: Any, bucket: str, env: dict[str, str]) -> None:
        self.kind, self.store, self.bucket, self.env = kind, store, bucket, env

    def url(self) -> str:
        """The CLI's name for the destination bucket."""
        return f"{'local' if self.kind == 'local' else 's3'}://{self.bucket}"

    def root(self) -> str | None:
        """The local root of a local destination (None on S3)."""
        return str(self.store.root) if self.kind == "local" else None


@pytest.fixture(params=["local", "ceph"])
def destination(
    request: pytest.FixtureRequest, tmp_path: Path, source: LocalStore
) -> Iterator[Destination]:
    """The destination: another bucket of the source's local root (the CLI has one local
    root), or a fresh bucket on Ceph."""
    if request.param == "local":
        env = {**local_env(tmp_path), "BUCKET_LOCAL_ROOT": str(source.root)}
        yield Destination("local", local_store(source.root), "backup", env)
        return
    server: S3Server = request.getfixturevalue("ceph_server")
    store = S3Store(config_for(server))
    bucket = unique_bucket_name("unread")
    env = {
        **s3_env(server, tmp_path),
        "BUCKET_ENGINE": os.environ.get("BUCKET_TEST_ENGINE", "auto"),
    }
    yield Destination("ceph", store, bucket, env)
    with contextlib.suppress(Exception):
        store.delete_bucket(bucket, force=True)
    store.close()


DRIVER = """
import json, sys
from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.features.sync import sync
a = json.loads(sys.argv[1])
src = LocalStore(BucketConfig(storage_type="local", local_root=a["src_root"]))
dst = (LocalStore(BucketConfig(storage_type="local", local_root=a["dst_root"]))
       if a["dst_root"] else S3Store(BucketConfig.from_env(a["env"])))
print(json.dumps(sync(src, a["src_bucket"], dst, a["dst_bucket"], delete=True).as_dict()))
"""


def sync_delete(src: LocalStore, dst: Destination, *, drop_privilege: bool) -> dict[str, Any]:
    """``sync(src, dst, delete=True)``'s report as a dict, run in this process or, with
    ``drop_privilege``, in a child without CAP_DAC_OVERRIDE."""
    if not drop_privilege:
        return sync(src, SRC_BUCKET, dst.store, dst.bucket, delete=True).as_dict()
    arguments = {
        "src_root": str(src.root),
        "src_bucket": SRC_BUCKET,
        "dst_root": dst.root(),
        "dst_bucket": dst.bucket,
        "env": dst.env,
    }
    done = subprocess.run(
        unprivileged([sys.executable, "-c", DRIVER, json.dumps(arguments)]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# -------------------------------------------------------------------- the tests
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_sync_delete_keeps_the_copy_of_what_the_source_cannot_read(
    source: LocalStore, destination: Destination, damage: str
) -> None:
    """After a good sync, the source loses read access to an object or a folder (damage,
    link, permission): sync --delete keeps the destination's bytes of it (of every key
    under the folder), reports each as a failure (ok False, nothing verified as equal)
    and still deletes a real extra."""
    drop = needs_privilege_drop(damage)
    assert sync(source, SRC_BUCKET, destination.store, destination.bucket, delete=True).ok
    destination.store.put_object(destination.bucket, "extra.txt", b"not in the source")
    DAMAGE[damage](source)

    report = sync_delete(source, destination, drop_privilege=drop)

    kept, failed = KEPT[damage]
    assert contents(destination.store, destination.bucket) == OBJECTS
    assert (report["ok"], report["deleted"], report["failed_count"]) == (False, 1, len(failed))
    assert sorted(f["key"] for f in report["failed"]) == failed
    assert all("the source could not read" in f["reason"] for f in report["failed"])
    assert report["verified"] is False
    assert all(destination.store.get_object(destination.bucket, k) == OBJECTS[k] for k in kept)


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_cli_sync_delete_exits_1_and_keeps_the_copy(
    source: LocalStore, destination: Destination, damage: str
) -> None:
    """``bucket sync --delete local://src <dst>`` over the same damage exits 1, names the
    failure on stderr, and the destination keeps every byte it held."""
    drop = needs_privilege_drop(damage)
    assert sync(source, SRC_BUCKET, destination.store, destination.bucket, delete=True).ok
    DAMAGE[damage](source)
    argv = [
        str(BUCKET_BIN),
        "sync",
        "--delete",
        "--local-root",
        str(source.root),
        f"local://{SRC_BUCKET}",
        destination.url(),
    ]
    done = subprocess.run(
        unprivileged(argv) if drop else argv,
        env=destination.env,
        cwd=source.root.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "the source could not read" in done.stderr
    assert "Traceback" not in done.stderr
    assert contents(destination.store, destination.bucket) == OBJECTS


def test_sync_delete_with_a_prefix_never_touches_a_lookalike_folder(
    source: LocalStore, destination: Destination
) -> None:
    """``sync(dst_prefix="site", delete=True)`` treats ``site`` as the folder ``site/``: an
    extra under ``site/`` is deleted, ``site-other/`` and ``site.html`` are untouched, and
    the source's ``site-old/`` is not copied."""
    src = source
    src.put_object(SRC_BUCKET, "site/index.html", b"<h1>new</h1>")
    src.put_object(SRC_BUCKET, "site-old/index.html", b"<h1>old</h1>")
    dst, bucket = destination.store, destination.bucket
    dst.create_bucket(bucket)
    held = {"site/stale.html": b"stale", "site-other/keep.html": b"keep", "site.html": b"page"}
    for key, data in held.items():
        dst.put_object(bucket, key, data)

    report = sync(src, SRC_BUCKET, dst, bucket, src_prefix="site", dst_prefix="site", delete=True)

    assert report.ok and (report.copied, report.deleted) == (1, 1)
    assert (report.source, report.destination) == (f"{SRC_BUCKET}/site/", f"{bucket}/site/")
    assert contents(dst, bucket) == {
        "site/index.html": b"<h1>new</h1>",
        "site-other/keep.html": b"keep",
        "site.html": b"page",
    }


def test_local_store_reports_what_it_cannot_read(source: LocalStore) -> None:
    """LocalStore is ReportsUnreadable: its audited listing yields the damaged object and
    the linked folder (standing for the keys under it) where list_objects skips them; a
    linked folder of the prefix itself stands for the whole listing."""
    from backend.src.libs.bucket.base.capabilities import ReportsUnreadable
    from backend.src.libs.bucket.base.store import Unreadable

    assert isinstance(source, ReportsUnreadable)
    damage_trailer(source)
    link_folder(source)
    audited = list(source.list_objects_audited(SRC_BUCKET))
    assert [(e.key, type(e).__name__) for e in audited] == [
        ("a.txt", "Unreadable"),
        ("dir/", "Unreadable"),
        ("z.txt", "ObjectInfo"),
    ]
    assert [e.key for e in source.list_objects(SRC_BUCKET) if isinstance(e, ObjectInfo)] == [
        "z.txt"
    ]
    below = list(source.list_objects_audited(SRC_BUCKET, prefix="dir/"))
    assert below == [Unreadable(SRC_BUCKET, "dir/", "a symbolic link")]
    assert below[0].covers("dir/c.txt") and not below[0].covers("dir-x/c.txt")
