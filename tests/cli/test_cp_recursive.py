"""``bucket cp -r s3://bucket/prefix folder``: the library's one download-to-folder routine
(``batch.download_directory``): keys that would escape the folder are refused, folder
markers become folders (issue 15, items 6 and 13)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.factory import make_store
from backend.src.libs.bucket.s3.store import S3Store
from tests.cli.conftest import Cli
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

ESCAPING = ["p/../../x", "p/x/../../../y", "p//abs/z", "p/../sibling.txt"]


@pytest.fixture
def ceph_bucket(ceph_server: S3Server) -> Iterator[tuple[S3Store, str]]:
    """A bucket on Ceph filled directly through the store (keys the CLI would not make: the
    store sends them verbatim, BUCKET_PORTABLE_KEYS=false)."""
    store = S3Store(config_for(ceph_server, portable_keys=False))
    name = unique_bucket_name("cpr")
    store.create_bucket(name)
    yield store, name
    store.delete_bucket(name, force=True)
    store.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_escaping_keys_are_refused(s3_cli: Cli, ceph_bucket: tuple[S3Store, str], tmp_path: Path) -> None:
    """Keys ``p/../../x``, ``p/x/../../../y``, ``p//abs/z`` and ``p/../sibling.txt`` are not
    written anywhere (nothing appears outside the destination, nothing under /abs); the
    good key is downloaded byte for byte; each refused key gets its own stderr line; the
    exit status is 1 with the count of failed keys."""
    store, bucket = ceph_bucket
    store.put_object(bucket, "p/ok.txt", b"good bytes")
    for key in ESCAPING:
        store.put_object(bucket, key, b"EVIL " + key.encode())
    area = tmp_path / "area"
    dst = area / "a" / "b" / "dst"
    dst.mkdir(parents=True)
    (area / "keep.txt").write_bytes(b"unchanged")
    result = s3_cli("cp", "-r", f"s3://{bucket}/p", str(dst))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert _files(area) == {"keep.txt": b"unchanged", "a/b/dst/ok.txt": b"good bytes"}
    assert not Path("/abs/z").exists()
    assert result.stdout == f"download: s3://{bucket}/p/ok.txt to {dst.resolve() / 'ok.txt'}\n"
    refused = [line for line in result.stderr.splitlines() if "could not download" in line]
    assert len(refused) == len(ESCAPING)
    for key in ESCAPING:
        assert any(repr(key) in line and "outside" in line for line in refused), (key, refused)
    assert f"{len(ESCAPING)} of {len(ESCAPING) + 1} key(s) could not be downloaded" in result.stderr


def test_folder_markers_become_folders(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """A prefix holding folder markers (``photos/``, ``photos/sub/``, ``photos/empty/``)
    and files: cp -r exits 0, every file is downloaded byte for byte, each marker is a
    folder (the empty one too), no file is named after a marker; JSON lists the files
    with their bytes and the markers with 0."""
    # the store the CLI talks to, writing markers as other tools do (the portable-key rule,
    # on by default, refuses a trailing '/')
    store = make_store(BucketConfig.from_env({**cli.env, "BUCKET_PORTABLE_KEYS": "false"}))
    try:
        for marker in ("photos/", "photos/sub/", "photos/empty/"):
            store.put_object(new_bucket, marker, b"")
        files = {"a.jpg": b"\xff\xd8 jpeg a", "sub/b.jpg": b"\xff\xd8 jpeg b"}
        for rel, data in files.items():
            store.put_object(new_bucket, f"photos/{rel}", data)
    finally:
        store.close()
    keys = [i["key"] for i in json.loads(cli.ok("ls", "-r", "--json", f"s3://{new_bucket}").stdout)]
    assert "photos/" in keys and "photos/empty/" in keys
    dst = tmp_path / "dst"
    done = json.loads(cli.ok("cp", "-r", "--json", f"s3://{new_bucket}/photos", str(dst)).stdout)
    assert _files(dst) == files
    assert (dst / "empty").is_dir() and (dst / "sub").is_dir()
    sizes = {item["source"]: item["bytes"] for item in done["copied"]}
    assert sizes == {
        f"s3://{new_bucket}/photos/": 0,
        f"s3://{new_bucket}/photos/a.jpg": len(files["a.jpg"]),
        f"s3://{new_bucket}/photos/empty/": 0,
        f"s3://{new_bucket}/photos/sub/": 0,
        f"s3://{new_bucket}/photos/sub/b.jpg": len(files["sub/b.jpg"]),
    }
    # a second run into the same folder works too (markers over existing folders)
    cli.ok("cp", "-r", f"s3://{new_bucket}/photos/", str(dst))
    assert _files(dst) == files
