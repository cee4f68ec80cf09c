"""``bucket sync`` between a plain folder and a remote prefix, as ``aws s3 sync`` (issue 25,
item 1): plain files both ways, byte for byte; a second run copies nothing (size and mtime
as aws compares, ``--size-only``, ``--exact-timestamps``); ``--delete`` only inside the
named prefix or folder; ``--dryrun``, filters, symbolic links, verification, resume;
downloads whole and refused when a key cannot land on a path of its own.

Each test runs the installed ``bucket`` in a subprocess, on Ceph RGW and on the local
store (``cli``)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.factory import make_store
from tests.cli.conftest import Cli

pytestmark = pytest.mark.integration

SITE = {
    "index.html": b"<h1>hi</h1>\n",
    "css/app.css": b"p {}\n\n",
    "img/logo.bin": bytes(range(256)) * 40,
    "deep/a/b/c.txt": b"deep\n",
}
HOUR = 3600 * 10**9


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _objects(cli: Cli, bucket: str) -> dict[str, dict[str, object]]:
    listed = json.loads(cli.ok("ls", "-r", "--json", f"s3://{bucket}").stdout)
    return {item["key"]: item for item in listed}


def _remote_bytes(cli: Cli, bucket: str, keys: list[str]) -> dict[str, bytes]:
    return {key: cli.ok("cat", f"s3://{bucket}/{key}").raw_stdout for key in keys}  # type: ignore[attr-defined]


def _summary(result_stdout: str) -> str:
    return result_stdout.strip().splitlines()[-1]


def _ns(text: object) -> int:
    moment = datetime.fromisoformat(str(text))
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def test_upload_folder_then_second_run_copies_nothing(cli: Cli, new_bucket: str) -> None:
    """``sync ./site s3://b/site`` uploads every file at its relative path, byte for byte,
    prints aws's ``upload: site/x to s3://b/site/x`` lines and a verified summary; the
    second run prints only ``0 copied, 4 skipped``."""
    _tree(cli.cwd / "site", SITE)
    first = cli.ok("sync", "./site", f"s3://{new_bucket}/site")
    lines = sorted(first.stdout.splitlines()[:-1])
    assert lines == sorted(f"upload: site/{r} to s3://{new_bucket}/site/{r}" for r in SITE)
    assert _summary(first.stdout).startswith("sync: 4 copied, 0 skipped, 0 deleted, 0 failed")
    assert _summary(first.stdout).endswith("; verified")
    keys = [f"site/{r}" for r in SITE]
    assert sorted(_objects(cli, new_bucket)) == sorted(keys)
    assert _remote_bytes(cli, new_bucket, keys) == {f"site/{r}": d for r, d in SITE.items()}
    again = cli.ok("sync", "./site", f"s3://{new_bucket}/site")
    assert again.stdout == "sync: 0 copied, 4 skipped, 0 deleted, 0 failed, 0 bytes; verified\n"


def test_download_writes_plain_files_with_the_objects_times(cli: Cli, new_bucket: str) -> None:
    """``sync s3://b/site ./out`` writes plain files (the same bytes, no trailer) at the
    same relative paths, each with the object's LastModified as its mtime; a second run
    copies nothing; ``site-other/`` is not downloaded."""
    _tree(cli.cwd / "site", SITE)
    _tree(cli.cwd / "site-other", {"x.txt": b"other"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    cli.ok("sync", "-q", "site-other", f"s3://{new_bucket}/site-other")
    first = cli.ok("sync", f"s3://{new_bucket}/site", "out")
    assert sorted(first.stdout.splitlines()[:-1]) == sorted(
        f"download: s3://{new_bucket}/site/{r} to out/{r}" for r in SITE
    )
    out = cli.cwd / "out"
    assert _files(out) == SITE
    for key, item in _objects(cli, new_bucket).items():
        if key.startswith("site/"):
            assert (out / key[5:]).stat().st_mtime_ns == _ns(item["last_modified"]), key
    assert not [p for p in out.rglob("*.part")]
    again = cli.ok("sync", f"s3://{new_bucket}/site", "out")
    assert again.stdout == "sync: 0 copied, 4 skipped, 0 deleted, 0 failed, 0 bytes; verified\n"


def test_upload_compares_size_and_time_as_aws(cli: Cli, new_bucket: str) -> None:
    """Upload rules: same size and a file older than its object is skipped (even with new
    bytes); a file newer than its object is sent; another size is sent; ``--size-only``
    sends only the other size."""
    site = _tree(cli.cwd / "site", {"old.txt": b"aaaa", "new.txt": b"bbbb", "size.txt": b"c"})
    cli.ok("sync", "site", f"s3://{new_bucket}/s")
    past, future = 1_000_000_000 * 10**9, 4_000_000_000 * 10**9
    (site / "old.txt").write_bytes(b"AAAA")
    os.utime(site / "old.txt", ns=(past, past))
    (site / "new.txt").write_bytes(b"BBBB")
    os.utime(site / "new.txt", ns=(future, future))
    (site / "size.txt").write_bytes(b"cc")
    os.utime(site / "size.txt", ns=(past, past))
    sized = cli.ok("sync", "--size-only", "site", f"s3://{new_bucket}/s")
    assert sized.stdout.splitlines()[:-1] == [f"upload: site/size.txt to s3://{new_bucket}/s/size.txt"]
    timed = cli.ok("sync", "site", f"s3://{new_bucket}/s")
    assert timed.stdout.splitlines()[:-1] == [f"upload: site/new.txt to s3://{new_bucket}/s/new.txt"]
    stored = _remote_bytes(cli, new_bucket, ["s/old.txt", "s/new.txt", "s/size.txt"])
    assert stored == {"s/old.txt": b"aaaa", "s/new.txt": b"BBBB", "s/size.txt": b"cc"}


def test_download_compares_as_aws_and_exact_timestamps(cli: Cli, new_bucket: str) -> None:
    """Download rules (aws: "ignore same-sized items unless the local version is newer"):
    a same-sized local file older than its object is kept; one newer is downloaded again;
    ``--size-only`` keeps both; ``--exact-timestamps`` downloads every same-sized file
    whose time is not the object's."""
    _tree(cli.cwd / "site", {"a.txt": b"1111", "b.txt": b"2222"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    out = cli.cwd / "out"
    cli.ok("sync", "-q", f"s3://{new_bucket}/site", "out")
    past, future = 1_000_000_000 * 10**9, 4_000_000_000 * 10**9
    (out / "a.txt").write_bytes(b"AAAA")
    os.utime(out / "a.txt", ns=(past, past))
    (out / "b.txt").write_bytes(b"BBBB")
    os.utime(out / "b.txt", ns=(future, future))
    assert "0 copied" in cli.ok("sync", "--size-only", f"s3://{new_bucket}/site", "out").stdout
    plain = cli.ok("sync", f"s3://{new_bucket}/site", "out")
    assert plain.stdout.splitlines()[:-1] == [f"download: s3://{new_bucket}/site/b.txt to out/b.txt"]
    assert _files(out) == {"a.txt": b"AAAA", "b.txt": b"2222"}
    exact = cli.ok("sync", "--exact-timestamps", f"s3://{new_bucket}/site", "out")
    assert exact.stdout.splitlines()[:-1] == [f"download: s3://{new_bucket}/site/a.txt to out/a.txt"]
    assert _files(out) == {"a.txt": b"1111", "b.txt": b"2222"}
    assert "0 copied" in cli.ok("sync", "--exact-timestamps", f"s3://{new_bucket}/site", "out").stdout


def test_upload_delete_stays_inside_the_prefix(cli: Cli, new_bucket: str) -> None:
    """``sync --delete site s3://b/site`` deletes ``site/`` objects the folder lacks and
    nothing else: ``site-other/x``, ``sitex`` and ``top.txt`` stay."""
    site = _tree(cli.cwd / "site", {"keep.txt": b"k", "gone.txt": b"g", "sub/gone2.txt": b"g2"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    _tree(cli.cwd / "other", {name: b"outside" for name in ("site-other/x", "sitex", "top.txt")})
    cli.ok("sync", "-q", "other", f"s3://{new_bucket}")
    (site / "gone.txt").unlink()
    (site / "sub" / "gone2.txt").unlink()
    done = cli.ok("sync", "--delete", "site", f"s3://{new_bucket}/site")
    assert sorted(done.stdout.splitlines()[:-1]) == [
        f"delete: s3://{new_bucket}/site/gone.txt",
        f"delete: s3://{new_bucket}/site/sub/gone2.txt",
    ]
    assert sorted(_objects(cli, new_bucket)) == ["site-other/x", "site/keep.txt", "sitex", "top.txt"]


def test_download_delete_stays_inside_the_folder(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """``sync --delete s3://b/site out`` deletes the files of ``out`` the prefix lacks, and
    nothing else: not ``out-other/``, not a file a symbolic link in ``out`` points to
    (the link itself is kept), not what lies behind a linked folder."""
    _tree(cli.cwd / "site", {"a.txt": b"a"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    out = _tree(cli.cwd / "out", {"stale.txt": b"s", "sub/stale2.txt": b"s2"})
    outside = _tree(tmp_path / "outside", {"precious.txt": b"precious", "d/inner.txt": b"inner"})
    _tree(cli.cwd / "out-other", {"x.txt": b"x"})
    (out / "link.txt").symlink_to(outside / "precious.txt")
    (out / "linked").symlink_to(outside / "d")
    done = cli.ok("sync", "--delete", f"s3://{new_bucket}/site", "out")
    assert sorted(done.stdout.splitlines()[:-1]) == [
        "delete: out/stale.txt",
        "delete: out/sub/stale2.txt",
        f"download: s3://{new_bucket}/site/a.txt to out/a.txt",
    ]
    assert _files(out) == {"a.txt": b"a"}
    assert (out / "link.txt").is_symlink() and (out / "linked").is_symlink()
    assert _files(outside) == {"precious.txt": b"precious", "d/inner.txt": b"inner"}
    assert _files(cli.cwd / "out-other") == {"x.txt": b"x"}


def test_dryrun_changes_nothing(cli: Cli, new_bucket: str) -> None:
    """``--dryrun`` prints what it would upload, download and delete with ``(dryrun)``,
    and writes, creates and deletes nothing on either side."""
    _tree(cli.cwd / "site", {"a.txt": b"a"})
    _tree(cli.cwd / "old", {"b.txt": b"b"})
    cli.ok("sync", "-q", "old", f"s3://{new_bucket}/site")
    up = cli.ok("sync", "--dryrun", "--delete", "site", f"s3://{new_bucket}/site")
    assert sorted(up.stdout.splitlines()) == [
        f"(dryrun) delete: s3://{new_bucket}/site/b.txt",
        "(dryrun) sync: 1 copied, 0 skipped, 1 deleted, 0 failed, 1 bytes; not verified",
        f"(dryrun) upload: site/a.txt to s3://{new_bucket}/site/a.txt",
    ]
    assert sorted(_objects(cli, new_bucket)) == ["site/b.txt"]
    down = cli.ok("sync", "--dryrun", f"s3://{new_bucket}/site", "never")
    assert down.stdout.splitlines()[0] == f"(dryrun) download: s3://{new_bucket}/site/b.txt to never/b.txt"
    assert not (cli.cwd / "never").exists()


def test_filters_choose_what_is_copied_and_deleted(cli: Cli, new_bucket: str) -> None:
    """``--exclude '*.log' --include 'keep.log'``: logs are neither uploaded nor, with
    ``--delete``, deleted (a log object the folder lacks stays); keep.log is uploaded."""
    site = _tree(cli.cwd / "site", {"a.txt": b"a", "x.log": b"x", "keep.log": b"k"})
    _tree(cli.cwd / "pre", {"remote.log": b"r"})
    cli.ok("sync", "-q", "pre", f"s3://{new_bucket}/site")
    args = ("--exclude", "*.log", "--include", "keep.log")
    cli.ok("sync", "--delete", *args, str(site), f"s3://{new_bucket}/site")
    assert sorted(_objects(cli, new_bucket)) == ["site/a.txt", "site/keep.log", "site/remote.log"]


def test_symbolic_links_followed_or_left_out(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """By default links are read through, as aws: a linked file is uploaded with its
    target's bytes, a linked folder under its own name (two names, two copies), and a link
    back to a folder above it is not entered (no loop). With ``--no-follow-symlinks`` they
    are left out and ``--delete`` keeps their objects; the run exits 0."""
    site = _tree(cli.cwd / "site", {"a.txt": b"a", "d/in.txt": b"in"})
    outside = _tree(tmp_path / "t", {"real.txt": b"real bytes", "dir/x.txt": b"x"})
    (site / "link.txt").symlink_to(outside / "real.txt")
    (site / "linkdir").symlink_to(outside / "dir")
    (site / "d2").symlink_to(site / "d")
    (site / "d" / "up").symlink_to(site)
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    expected = ["site/a.txt", "site/d/in.txt", "site/d2/in.txt", "site/link.txt", "site/linkdir/x.txt"]
    assert sorted(_objects(cli, new_bucket)) == expected
    assert _remote_bytes(cli, new_bucket, ["site/link.txt"]) == {"site/link.txt": b"real bytes"}
    (site / "new.txt").write_bytes(b"n")
    done = cli.ok("sync", "--no-follow-symlinks", "--delete", "site", f"s3://{new_bucket}/site")
    assert done.stdout.splitlines()[:-1] == [f"upload: site/new.txt to s3://{new_bucket}/site/new.txt"]
    assert sorted(_objects(cli, new_bucket)) == sorted([*expected, "site/new.txt"])


def test_what_the_folder_cannot_read_keeps_its_object(cli: Cli, new_bucket: str) -> None:
    """A file the sync cannot read (here a broken link in place of ``b.txt``) counts as
    present: ``--delete`` keeps ``site/b.txt``, the run says why and exits 1."""
    site = _tree(cli.cwd / "site", {"a.txt": b"a", "b.txt": b"b"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    (site / "b.txt").unlink()
    (site / "b.txt").symlink_to(site / "nowhere")
    result = cli("sync", "--delete", "site", f"s3://{new_bucket}/site")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "bucket: failed: b.txt: the source could not read it: a broken symbolic link" in result.stderr
    assert sorted(_objects(cli, new_bucket)) == ["site/a.txt", "site/b.txt"]


def test_resume_copies_only_what_is_missing(cli: Cli, new_bucket: str) -> None:
    """A run cut short is finished by running it again: with one object removed and one
    file removed since a finished sync, each direction copies exactly that one."""
    _tree(cli.cwd / "site", SITE)
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    cli.ok("rm", "-q", f"s3://{new_bucket}/site/css/app.css")
    up = cli.ok("sync", "site", f"s3://{new_bucket}/site")
    assert up.stdout.splitlines()[:-1] == [f"upload: site/css/app.css to s3://{new_bucket}/site/css/app.css"]
    cli.ok("sync", "-q", f"s3://{new_bucket}/site", "out")
    (cli.cwd / "out" / "img" / "logo.bin").unlink()
    down = cli.ok("sync", "--verify", "full", f"s3://{new_bucket}/site", "out")
    assert down.stdout.splitlines()[:-1] == [f"download: s3://{new_bucket}/site/img/logo.bin to out/img/logo.bin"]
    assert _files(cli.cwd / "out") == SITE


def test_download_replaces_files_whole(cli: Cli, new_bucket: str) -> None:
    """A file downloaded again is a new file renamed into place (its inode changes; the
    old one, held open, keeps the old bytes), and no temporary is left; ``--json`` holds
    the report with the verification."""
    _tree(cli.cwd / "site", {"a.txt": b"new bytes!"})
    cli.ok("sync", "-q", "site", f"s3://{new_bucket}/site")
    out = _tree(cli.cwd / "out", {"a.txt": b"old bytes!"})
    future = 4_000_000_000 * 10**9
    os.utime(out / "a.txt", ns=(future, future))
    with open(out / "a.txt", "rb") as held:
        before = os.fstat(held.fileno()).st_ino
        report = json.loads(cli.ok("sync", "--json", f"s3://{new_bucket}/site", "out").stdout)
        assert held.read() == b"old bytes!"
    assert (out / "a.txt").stat().st_ino != before
    assert (out / "a.txt").read_bytes() == b"new bytes!"
    assert report["copied"] == 1 and report["verified"] is True and report["ok"] is True
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]


def test_keys_that_cannot_land_on_a_path_are_refused(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """Keys with ``..``, ``.`` or empty segments (written by another tool; the local
    store refuses ``..``) are not downloaded anywhere: each is a failure on stderr, the
    good key is written, nothing appears outside the folder, the status is 1."""
    store = make_store(BucketConfig.from_env({**cli.env, "BUCKET_PORTABLE_KEYS": "false"}))
    odd = ["p//z", "p/./ok.txt", "p/a/./b"]
    if cli.kind == "s3":
        odd = ["p/../../x", "p/a/../../../y", "p//z", "p/a/../ok.txt"]
    try:
        store.put_object(new_bucket, "p/ok.txt", b"good")
        for key in odd:
            store.put_object(new_bucket, key, b"EVIL")
    finally:
        store.close()
    area = tmp_path / "area"
    (area / "dst").mkdir(parents=True)
    result = cli("sync", f"s3://{new_bucket}/p", str(area / "dst"))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert _files(area) == {"dst/ok.txt": b"good"}
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    failed = [line for line in result.stderr.splitlines() if line.startswith("bucket: failed: ")]
    assert len(failed) == len(odd), result.stderr


def test_two_folders_are_refused(cli: Cli) -> None:
    """``sync a b`` with two folders is a usage error (status 2) naming what is needed."""
    (cli.cwd / "a").mkdir()
    line = cli.fails(2, "sync", "a", "b")
    assert "at least one s3:// path" in line
