"""The bad-input corpus's stage: one store (Ceph or a folder), its facade, a bucket holding
one known object, and files to upload or download to."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, ObjectStore
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name

EXISTING = b"0123456789"


@dataclass
class Stage:
    """Where a bad-input case runs."""

    kind: str  # "s3" or "local"
    store: ObjectStore
    facade: Bucket
    bucket: str
    files: Path  # a folder with good.txt (10 bytes) and sub/ (a folder)
    root: Path | None  # the local store's root (None for s3)

    def snapshot(self) -> object:
        """What must not change: the bucket's keys and ETags, the files folder, and for the
        local store every file under its root."""
        listing = sorted(
            (e.key, e.etag) for e in self.store.list_objects(self.bucket)  # type: ignore[union-attr]
        )
        files = sorted(str(p.relative_to(self.files)) for p in self.files.rglob("*"))
        tree: list[str] = []
        if self.root is not None:
            tree = sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*")
                          if p.name != ".bucket.json")
        return listing, files, tree


@pytest.fixture(scope="module", params=["s3", "local"])
def _base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, ObjectStore, str, Path | None]]:
    """One store and bucket per module and kind (the cases leave the bucket as they found it)."""
    root: Path | None = None
    store: ObjectStore
    if request.param == "s3":
        store = S3Store(config_for(request.getfixturevalue("ceph_server"), max_retries=0))
    else:
        root = tmp_path_factory.mktemp("bad-local") / "root"
        store = LocalStore(BucketConfig(storage_type="local", local_root=str(root)))
    name = unique_bucket_name("bad")
    store.create_bucket(name)
    yield request.param, store, name, root
    with contextlib.suppress(Exception):
        store.delete_bucket(name, force=True)
    store.close()


@pytest.fixture
def stage(_base: tuple[str, ObjectStore, str, Path | None], tmp_path: Path) -> Stage:
    """The module's bucket holding exactly the object ``existing`` (10 bytes), a fresh
    facade on the store, and a fresh files folder."""
    kind, store, name, root = _base
    for entry in list(store.list_objects(name)):
        store.delete_object(name, entry.key)  # type: ignore[union-attr]
    store.put_object(name, "existing", EXISTING)
    files = tmp_path / "files"
    (files / "sub").mkdir(parents=True)
    (files / "good.txt").write_bytes(b"good bytes")
    return Stage(kind, store, Bucket(store=store), name, files, root)


def is_root() -> bool:
    """True when running as root (permission bits do not stop root)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0
