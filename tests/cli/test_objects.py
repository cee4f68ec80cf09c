"""``bucket`` object and bucket commands on the S3 server and the local store:
ls, mb, rb, cp, rm, stat, cat, du, presign; their text and ``--json`` output and exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, MakeFile
from tests.conftest import unique_bucket_name

pytestmark = pytest.mark.integration


def test_mb_ls_rb_round_trip(cli: Cli) -> None:
    """mb prints ``make_bucket: NAME``; ls lists it (text and JSON); mb of an existing
    bucket fails with exit 1; rb removes it and ls no longer shows it."""
    name = unique_bucket_name("cli")
    assert cli.ok("mb", f"s3://{name}").stdout == f"make_bucket: {name}\n"
    try:
        assert any(line.endswith(f"  {name}") for line in cli.ok("ls").stdout.splitlines())
        names = [b["name"] for b in json.loads(cli.ok("ls", "--json").stdout)]
        assert name in names
        line = cli.fails(1, "mb", f"s3://{name}")
        assert "exist" in line.lower()
    finally:
        done = cli("rb", f"s3://{name}")
    assert done.returncode == 0 and done.stdout == f"remove_bucket: {name}\n"
    assert name not in [b["name"] for b in json.loads(cli.ok("--json", "ls").stdout)]


def test_cp_upload_stat_cat_download(cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path) -> None:
    """cp uploads a file (key from the file name when the destination ends with /),
    stat shows its size and MD5 ETag, cat prints its bytes, and cp back downloads the
    same bytes into a folder."""
    data = b"hello from the cli\n"
    path = make_file("hello.txt", data)
    out = cli.ok("cp", str(path), f"s3://{new_bucket}/docs/")
    assert out.stdout == f"upload: {path} to s3://{new_bucket}/docs/hello.txt\n"
    stat = cli.ok("stat", f"s3://{new_bucket}/docs/hello.txt").stdout
    assert "size           19" in stat and hashlib.md5(data).hexdigest() in stat
    info = json.loads(cli.ok("stat", "--json", f"s3://{new_bucket}/docs/hello.txt").stdout)
    assert (info["size"], info["etag"], info["key"]) == (19, hashlib.md5(data).hexdigest(), "docs/hello.txt")
    assert info["content_type"] == "text/plain"
    cat = cli.ok("cat", f"s3://{new_bucket}/docs/hello.txt")
    assert cat.raw_stdout == data  # type: ignore[attr-defined]
    down = tmp_path / "down"
    down.mkdir()
    cli.ok("cp", f"s3://{new_bucket}/docs/hello.txt", f"{down}/")
    assert (down / "hello.txt").read_bytes() == data


def test_cp_json_remote_to_remote_and_binary(cli: Cli, new_bucket: str, make_file: MakeFile) -> None:
    """A 5 MiB binary upload (no progress bar: stderr is not a terminal) and a
    remote-to-remote copy report source, destination and bytes in JSON; cat returns
    the exact bytes."""
    data = os.urandom(5 * 1024 * 1024 + 7)
    path = make_file("blob.bin", data)
    up = cli.ok("cp", "--json", str(path), f"s3://{new_bucket}/blob.bin")
    assert up.stderr == ""
    doc = json.loads(up.stdout)
    assert doc["count"] == 1 and doc["bytes"] == len(data)
    assert doc["copied"][0]["destination"] == f"s3://{new_bucket}/blob.bin"
    copy = json.loads(cli.ok("cp", "--json", f"s3://{new_bucket}/blob.bin", f"s3://{new_bucket}/copy/").stdout)
    assert copy["copied"][0]["destination"] == f"s3://{new_bucket}/copy/blob.bin"
    assert copy["bytes"] == len(data)
    assert cli.ok("cat", f"s3://{new_bucket}/copy/blob.bin").raw_stdout == data  # type: ignore[attr-defined]


def test_ls_folders_recursive_json_and_du(cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path) -> None:
    """cp -r uploads a tree; ls shows PRE folders, ls -r every key, ls --json key/size
    items; du counts objects and bytes; cp -r downloads the tree identically."""
    tree = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.txt": b"ccc"}
    for rel, data in tree.items():
        make_file(f"tree/{rel}", data)
    up = cli.ok("cp", "-r", str(tmp_path / "files" / "tree"), f"s3://{new_bucket}/t")
    assert len(up.stdout.splitlines()) == 3
    top = cli.ok("ls", f"s3://{new_bucket}/t/").stdout.splitlines()
    assert any(line.endswith("PRE  sub/") for line in top)  # relative, as aws prints it
    assert any(line.endswith("  a.txt") and " 1  " in line for line in top)
    every = cli.ok("ls", "-r", f"s3://{new_bucket}").stdout.splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in every] == ["t/a.txt", "t/sub/b.txt", "t/sub/deeper/c.txt"]
    items = json.loads(cli.ok("ls", "--json", f"s3://{new_bucket}/t/").stdout)
    assert {"prefix": "t/sub/"} in items
    assert [(i["key"], i["size"]) for i in items if "key" in i] == [("t/a.txt", 1)]
    assert cli.ok("du", f"s3://{new_bucket}").stdout.startswith("3 objects  6 bytes")
    du = json.loads(cli.ok("du", "--json", f"s3://{new_bucket}/t/sub/").stdout)
    assert (du["objects"], du["bytes"]) == (2, 5)
    cli.ok("cp", "-r", f"s3://{new_bucket}/t", str(tmp_path / "back"))
    got = {p.relative_to(tmp_path / "back").as_posix(): p.read_bytes()
           for p in (tmp_path / "back").rglob("*") if p.is_file()}
    assert got == tree


def test_rm_single_and_recursive_needs_force(cli: Cli, new_bucket: str, make_file: MakeFile) -> None:
    """rm deletes one key; rm of a missing key exits 3; rm -r without --force exits 2
    and deletes nothing; rm -r --force deletes every key under the prefix (JSON lists them)."""
    path = make_file("x.txt", b"x")
    for key in ("p/1", "p/2", "p/q/3", "keep"):
        cli.ok("cp", str(path), f"s3://{new_bucket}/{key}")
    assert cli.ok("rm", f"s3://{new_bucket}/keep").stdout == f"delete: s3://{new_bucket}/keep\n"
    assert "NoSuchKey" in cli.fails(3, "rm", f"s3://{new_bucket}/keep")
    assert "--force" in cli.fails(2, "rm", "-r", f"s3://{new_bucket}/p/")
    assert len(json.loads(cli.ok("ls", "-r", "--json", f"s3://{new_bucket}").stdout)) == 3
    doc = json.loads(cli.ok("rm", "-r", "--force", "--json", f"s3://{new_bucket}/p/").stdout)
    assert sorted(doc["deleted"]) == ["p/1", "p/2", "p/q/3"] and doc["errors"] == []
    assert json.loads(cli.ok("ls", "-r", "--json", f"s3://{new_bucket}").stdout) == []


def test_missing_key_and_bucket_fail_in_one_line(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """cat, stat and cp of a missing key exit 3 with one line naming NoSuchKey; ls of a
    missing bucket exits 3 naming NoSuchBucket; nothing is written locally."""
    for command in (("cat",), ("stat",)):
        assert "NoSuchKey" in cli.fails(3, *command, f"s3://{new_bucket}/nope.txt")
    assert "NoSuchKey" in cli.fails(3, "cp", f"s3://{new_bucket}/nope.txt", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
    assert "NoSuchBucket" in cli.fails(3, "ls", f"s3://{unique_bucket_name('gone')}")


def test_bad_bucket_name_and_bad_paths_exit_2(cli: Cli, tmp_path: Path) -> None:
    """An invalid bucket name, a local path where a remote one is needed, a remote path
    without a bucket, and an unknown option all exit 2 without touching the store."""
    assert "InvalidBucketName" in cli.fails(2, "mb", "s3://Bad_Name")
    assert "InvalidBucketName" in cli.fails(2, "ls", "s3://ab")
    assert "not a remote path" in cli.fails(2, "stat", "just/a/path")
    assert "names no bucket" in cli.fails(2, "ls", "s3://")
    assert "no such file" in cli.fails(3, "cp", str(tmp_path / "missing.txt"), "s3://some-bucket/")
    usage = cli("ls", "--no-such-option")
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_presign_get_url_serves_the_object(s3_cli: Cli, ceph_server: object, make_file: MakeFile) -> None:
    """presign prints a GET URL that serves the object's bytes; --json gives url and
    expiry; the URL carries no secret key."""
    name = unique_bucket_name("cli")
    s3_cli.ok("mb", f"s3://{name}")
    try:
        s3_cli.ok("cp", str(make_file("p.txt", b"presigned bytes")), f"s3://{name}/p.txt")
        url = s3_cli.ok("presign", "--expires", "120", f"s3://{name}/p.txt").stdout.strip()
        assert url.startswith("http") and "X-Amz-Signature" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"presigned bytes"
        doc = json.loads(s3_cli.ok("presign", "--json", f"s3://{name}/p.txt").stdout)
        assert doc["expires_in"] == 3600 and doc["method"] == "GET" and "X-Amz-Expires=3600" in doc["url"]
        assert "--expires-in must be" in s3_cli.fails(2, "presign", "--expires", "0", f"s3://{name}/p.txt")
    finally:
        s3_cli("rb", "--force", f"s3://{name}")


def test_presign_on_local_store_is_not_supported(local_cli: Cli) -> None:
    """The local folder store has no presigned URLs: exit 1 and a one-line reason."""
    local_cli.ok("mb", "s3://local-bucket")
    line = local_cli.fails(1, "presign", "s3://local-bucket/k")
    assert "not supported" in line
