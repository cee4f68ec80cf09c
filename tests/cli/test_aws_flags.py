"""What users of ``aws s3`` / ``mc`` / ``s5cmd`` expect of ``bucket`` (issue 14): ``mv``,
``ls`` names relative to the folder listed, wildcards, ``--exclude`` / ``--include``,
``--dryrun``, the upload flags of ``cp``, and messages that name the command's flags.
Each runs the installed ``bucket`` on the Ceph server and on the local folder store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, MakeFile

pytestmark = pytest.mark.integration


def _keys(cli: Cli, bucket: str) -> list[str]:
    return [i["key"] for i in json.loads(cli.ok("ls", "-r", "--json", f"s3://{bucket}").stdout)]


def _put(cli: Cli, make_file: MakeFile, bucket: str, *keys: str, data: bytes = b"x") -> None:
    path = make_file("put.bin", data)
    for key in keys:
        cli.ok("cp", str(path), f"s3://{bucket}/{key}")


def test_mv_upload_server_side_download_and_tree(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """mv copies then deletes the source: a local file up (the file is gone), an object
    to another key (the source key is gone), an object down (the key is gone), and with
    -r a folder up; each line says ``move:``."""
    path = make_file("a.txt", b"alpha")
    out = cli.ok("mv", str(path), f"s3://{new_bucket}/in/")
    assert out.stdout == f"move: {path} to s3://{new_bucket}/in/a.txt\n"
    assert not path.exists()
    cli.ok("mv", f"s3://{new_bucket}/in/a.txt", f"s3://{new_bucket}/moved/b.txt")
    assert _keys(cli, new_bucket) == ["moved/b.txt"]
    cli.ok("mv", f"s3://{new_bucket}/moved/b.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == b"alpha"
    assert _keys(cli, new_bucket) == []
    for rel in ("t/1.txt", "t/sub/2.txt"):
        make_file(rel, rel.encode())
    tree = tmp_path / "files" / "t"
    lines = cli.ok("mv", "-r", str(tree), f"s3://{new_bucket}/t").stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("move: ") for line in lines)
    assert _keys(cli, new_bucket) == ["t/1.txt", "t/sub/2.txt"]
    assert [p for p in tree.rglob("*") if p.is_file()] == []
    assert "same object" in cli.fails(
        2, "mv", f"s3://{new_bucket}/t/1.txt", f"s3://{new_bucket}/t/"
    )
    assert _keys(cli, new_bucket) == ["t/1.txt", "t/sub/2.txt"]


def test_cp_of_a_folder_without_r_says_add_r(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """``cp s3://b/site/ ./dl/`` (and ``s3://b/site`` when only ``site/...`` keys exist)
    exits 2 with a message saying to add -r, and writes nothing."""
    _put(cli, make_file, new_bucket, "site/index.html", "site/css/app.css")
    for source in (f"s3://{new_bucket}/site/", f"s3://{new_bucket}/site"):
        assert "add -r" in cli.fails(2, "cp", source, f"{tmp_path / 'dl'}/")
    assert not (tmp_path / "dl").exists()
    assert "NoSuchKey" in cli.fails(3, "cp", f"s3://{new_bucket}/nothing", str(tmp_path / "x"))


def test_ls_names_relative_to_the_folder_in_one_sorted_listing(
    cli: Cli, new_bucket: str, make_file: MakeFile
) -> None:
    """ls of a folder prints ``PRE css/`` and ``index.html`` as aws does, prefixes and
    objects sorted together; -r keeps full keys; --human-readable and --summarize."""
    _put(cli, make_file, new_bucket, "site/b.txt", "site/a/x", "site/c/y", "site/d.txt")
    _put(cli, make_file, new_bucket, "site/big.bin", data=b"z" * 2048)
    lines = cli.ok("ls", f"s3://{new_bucket}/site/").stdout.splitlines()
    names = [line.rsplit("  ", 1)[-1] for line in lines]
    assert names == ["a/", "b.txt", "big.bin", "c/", "d.txt"]
    assert lines[0].endswith("PRE  a/")
    partial = cli.ok("ls", f"s3://{new_bucket}/site/b").stdout.splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in partial] == ["b.txt", "big.bin"]
    full = cli.ok("ls", "-r", f"s3://{new_bucket}/site/").stdout.splitlines()
    assert full[0].endswith("  site/a/x")
    text = cli.ok("ls", "--human-readable", "--summarize", f"s3://{new_bucket}/site/").stdout
    assert "2.0 KiB  big.bin" in text
    assert text.endswith("\nTotal Objects: 3\n   Total Size: 2.0 KiB\n")
    plain = cli.ok("ls", "--summarize", f"s3://{new_bucket}/site/").stdout
    assert plain.endswith("\nTotal Objects: 3\n   Total Size: 2050\n")


def test_wildcards_in_ls_cp_and_rm(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """A pattern after the folder (``docs/*.txt``) selects keys by fnmatch for ls, cp and
    rm; one that matches nothing exits 3 with one line; -r lets ``*`` cross folders."""
    _put(cli, make_file, new_bucket, "docs/a.txt", "docs/b.txt", "docs/c.md", "docs/sub/d.txt")
    listed = cli.ok("ls", f"s3://{new_bucket}/docs/*.txt").stdout.splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in listed] == ["a.txt", "b.txt"]
    assert "no key matches" in cli.fails(3, "ls", f"s3://{new_bucket}/docs/*.zip")
    assert len(json.loads(cli.ok("ls", "--json", f"s3://{new_bucket}/docs/[ab].txt").stdout)) == 2
    cli.ok("cp", f"s3://{new_bucket}/docs/*.txt", f"{tmp_path / 'dl'}/")
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["a.txt", "b.txt"]
    cli.ok("cp", "-r", f"s3://{new_bucket}/docs/*.txt", f"s3://{new_bucket}/all/")
    assert [k for k in _keys(cli, new_bucket) if k.startswith("all/")] == [
        "all/a.txt",
        "all/b.txt",
        "all/sub/d.txt",
    ]
    out = cli.ok("rm", f"s3://{new_bucket}/docs/?.txt").stdout
    assert out == f"delete: s3://{new_bucket}/docs/a.txt\ndelete: s3://{new_bucket}/docs/b.txt\n"
    assert "no key matches" in cli.fails(3, "rm", f"s3://{new_bucket}/docs/?.txt")
    assert [k for k in _keys(cli, new_bucket) if k.startswith("docs/")] == [
        "docs/c.md",
        "docs/sub/d.txt",
    ]


def test_exclude_include_on_cp_r_and_rm_r(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """--exclude / --include apply in order to the path relative to the source, the last
    match winning (aws): on a folder upload, a prefix download, a server-side copy and
    rm -r."""
    for rel in ("a.txt", "b.log", "sub/c.txt", "sub/d.log"):
        make_file(f"tree/{rel}", b"data")
    tree = str(tmp_path / "files" / "tree")
    cli.ok("cp", "-r", "--exclude", "*", "--include", "*.txt", tree, f"s3://{new_bucket}/t")
    assert _keys(cli, new_bucket) == ["t/a.txt", "t/sub/c.txt"]
    cli.ok("cp", "-r", "--exclude", "sub/*", tree, f"s3://{new_bucket}/t")
    assert _keys(cli, new_bucket) == ["t/a.txt", "t/b.log", "t/sub/c.txt"]
    cli.ok("cp", "-r", "--exclude", "*.log", f"s3://{new_bucket}/t/", str(tmp_path / "down"))
    got = sorted(
        p.relative_to(tmp_path / "down").as_posix() for p in (tmp_path / "down").rglob("*.*")
    )
    assert got == ["a.txt", "sub/c.txt"]
    cli.ok(
        "cp",
        "-r",
        "--include",
        "*.txt",
        "--exclude",
        "sub/*",
        f"s3://{new_bucket}/t",
        f"s3://{new_bucket}/u/",
    )
    assert [k for k in _keys(cli, new_bucket) if k.startswith("u/")] == ["u/a.txt", "u/b.log"]
    cli.ok("rm", "-r", "--force", "--exclude", "*.txt", f"s3://{new_bucket}/t/")
    assert [k for k in _keys(cli, new_bucket) if k.startswith("t/")] == ["t/a.txt", "t/sub/c.txt"]


def test_dryrun_spellings_change_nothing(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """``--dryrun`` (aws) and ``--dry-run`` print ``(dryrun)`` lines and change nothing,
    on cp, mv, rm and sync."""
    path = make_file("f.txt", b"f")
    out = cli.ok("cp", "--dryrun", str(path), f"s3://{new_bucket}/s/f.txt").stdout
    assert out == f"(dryrun) upload: {path} to s3://{new_bucket}/s/f.txt\n"
    assert _keys(cli, new_bucket) == []
    cli.ok("cp", str(path), f"s3://{new_bucket}/s/f.txt")
    out = cli.ok("mv", "--dry-run", f"s3://{new_bucket}/s/f.txt", str(tmp_path / "g")).stdout
    assert out.startswith("(dryrun) move: ")
    assert not (tmp_path / "g").exists()
    assert cli.ok("rm", "--dryrun", f"s3://{new_bucket}/s/f.txt").stdout.startswith(
        "(dryrun) delete: "
    )
    for spelling in ("--dryrun", "--dry-run"):
        out = cli.ok("sync", spelling, f"s3://{new_bucket}/s", f"s3://{new_bucket}/copy").stdout
        assert out.startswith("(dryrun) copy: ")
    assert _keys(cli, new_bucket) == ["s/f.txt"]


def test_upload_flags_of_cp(cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path) -> None:
    """--content-type and --metadata (repeatable) reach the object; --storage-class
    STANDARD is accepted on S3; a bad --metadata, or upload flags on a download, exit 2;
    --sse on the local store is refused in one line."""
    path = make_file("page.html", b"<p>")
    cli.ok(
        "cp",
        "--content-type",
        "text/x-test",
        "--metadata",
        "owner=ops",
        "--metadata",
        "tier=1",
        "--no-progress",
        str(path),
        f"s3://{new_bucket}/page",
    )
    info = json.loads(cli.ok("stat", "--json", f"s3://{new_bucket}/page").stdout)
    assert info["content_type"] == "text/x-test"
    assert info["metadata"] == {"owner": "ops", "tier": "1"}
    assert "NAME=VALUE" in cli.fails(
        2, "cp", "--metadata", "novalue", str(path), f"s3://{new_bucket}/x"
    )
    assert "--content-type" in cli.fails(
        2, "cp", "--content-type", "a/b", f"s3://{new_bucket}/page", str(tmp_path / "p")
    )
    if cli.kind == "s3":
        cli.ok("cp", "--storage-class", "STANDARD", str(path), f"s3://{new_bucket}/std")
        assert (
            json.loads(cli.ok("stat", "--json", f"s3://{new_bucket}/std").stdout)["storage_class"]
            == "STANDARD"
        )
    else:
        assert "sse" in cli.fails(1, "cp", "--sse", "AES256", str(path), f"s3://{new_bucket}/enc")


def test_workers_no_progress_and_expires_in(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """cp -r takes --workers (as sync does; below 1 exits 2) and --no-progress."""
    for i in range(6):
        make_file(f"w/{i}.txt", str(i).encode())
    tree = str(tmp_path / "files" / "w")
    lines = cli.ok(
        "cp", "-r", "--workers", "3", "--no-progress", tree, f"s3://{new_bucket}/w"
    ).stdout
    assert len(lines.splitlines()) == 6 and len(_keys(cli, new_bucket)) == 6
    assert "--workers" in cli.fails(2, "cp", "-r", "--workers", "0", tree, f"s3://{new_bucket}/w")


def test_presign_expires_in(s3_cli: Cli, ceph_server: object, make_file: MakeFile) -> None:
    """presign takes aws's --expires-in (and --expires)."""
    url = s3_cli.ok("presign", "--expires-in", "120", "s3://any-bucket/k").stdout
    assert "X-Amz-Expires=120" in url


def test_messages_name_the_flags_and_the_bad_argument(
    cli: Cli, new_bucket: str, make_file: MakeFile
) -> None:
    """rb of a non-empty bucket names --force (not force=True); a misspelt address
    (``s3:/``, ``S3://``, ``s4://``) exits 2 naming the argument and the spelling to use;
    rm of a missing key says it does not exist (not ``head_object failed``)."""
    _put(cli, make_file, new_bucket, "k")
    line = cli.fails(1, "rb", f"s3://{new_bucket}")
    assert "--force" in line and "force=True" not in line
    for bad in (f"s3:/{new_bucket}/", f"S3://{new_bucket}", f"s4://{new_bucket}/k"):
        line = cli.fails(2, "ls", bad)
        assert repr(bad) in line and f"s3://{new_bucket}" in line
    assert "s3://" in cli.fails(2, "cp", "s4://x/y", "s3://x/")
    line = cli.fails(3, "rm", f"s3://{new_bucket}/gone")
    assert "head_object" not in line and "NoSuchKey" in line and "does not exist" in line
    for args, code in (
        (("rm", f"s3://{new_bucket}/gone"), "NoSuchKey"),
        (("rb", f"s3://{new_bucket}"), "BucketNotEmpty"),
    ):
        doc = json.loads(cli("--json", *args).stdout)
        assert doc["error"]["code"] == code  # the store's code, kept in --json


def test_exclude_include_on_sync(cli: Cli, new_bucket: str, make_file: MakeFile) -> None:
    """sync --exclude leaves the excluded keys alone on both sides: not copied, and not
    deleted by --delete (aws semantics); the verification still passes."""
    _put(cli, make_file, new_bucket, "src/a.txt", "src/b.log", "dst/old.log", "dst/old.txt")
    out = cli.ok(
        "sync", "--delete", "--exclude", "*.log", f"s3://{new_bucket}/src", f"s3://{new_bucket}/dst"
    )
    assert out.stdout.splitlines()[-1].startswith("sync: 1 copied, 0 skipped, 1 deleted")
    assert out.stdout.rstrip().endswith("; verified")
    assert [k for k in _keys(cli, new_bucket) if k.startswith("dst/")] == [
        "dst/a.txt",
        "dst/old.log",
    ]


def test_cache_control_on_s3_refused_on_the_local_store(
    cli: Cli, new_bucket: str, make_file: MakeFile, request: pytest.FixtureRequest
) -> None:
    """cp --cache-control sets the object's Cache-Control header on S3 (read back with
    boto3); the local store, which cannot keep it, refuses it in one line (status 1)."""
    path = make_file("c.txt", b"c")
    if cli.kind == "local":
        assert "--cache-control" in cli.fails(
            1, "cp", "--cache-control", "max-age=60", str(path), f"s3://{new_bucket}/c"
        )
        return
    cli.ok("cp", "--cache-control", "max-age=60", str(path), f"s3://{new_bucket}/c")
    import boto3

    server = request.getfixturevalue("ceph_server")
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
    )
    assert client.head_object(Bucket=new_bucket, Key="c")["CacheControl"] == "max-age=60"
