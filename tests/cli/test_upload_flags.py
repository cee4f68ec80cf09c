"""aws s3's upload flags on ``cp`` (issue 25, item 4): ``--content-disposition``,
``--content-encoding``, ``--tagging``, ``--only-show-errors``, ``--no-follow-symlinks``,
``--expected-size`` for ``cp -``, and ``-q`` / ``--only-show-errors`` silencing ``sync``'s
summary. Each runs the installed ``bucket`` on Ceph and on the local folder store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, MakeFile
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def _client(server: S3Server) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
    )


def _keys(cli: Cli, bucket: str) -> list[str]:
    return [i["key"] for i in json.loads(cli.ok("ls", "-r", "--json", f"s3://{bucket}").stdout)]


def test_web_headers_and_tags_reach_the_object(
    cli: Cli, new_bucket: str, make_file: MakeFile, request: pytest.FixtureRequest
) -> None:
    """On S3, cp --content-disposition, --content-encoding and --tagging 'k1=v1&k2=v2' set
    the object's Content-Disposition and Content-Encoding headers and its tags (read back
    with boto3), on a small file and (the headers; Ceph RGW drops the tags of multipart
    uploads) on one above the multipart threshold; a malformed --tagging exits 2. The local store, which keeps no such header nor tags, refuses each
    (status 1) and writes nothing."""
    small = make_file("report.pdf.gz", b"%PDF-1.4 compressed")
    disposition = 'attachment; filename="report.pdf"'
    flags = [
        "--content-disposition",
        disposition,
        "--content-encoding",
        "gzip",
        "--tagging",
        "team=blue&tier=1&note=a%20b",
    ]
    assert "--tagging" in cli.fails(
        2, "cp", "--tagging", "novalue", str(small), f"s3://{new_bucket}/x"
    )
    assert "twice" in cli.fails(2, "cp", "--tagging", "a=1&a=2", str(small), f"s3://{new_bucket}/x")
    if cli.kind == "local":
        for flag, value in zip(flags[::2], flags[1::2], strict=True):
            line = cli.fails(1, "cp", flag, value, str(small), f"s3://{new_bucket}/r")
            assert "not supported" in line
        assert _keys(cli, new_bucket) == []
        return
    big = make_file("big.bin", os.urandom(9 * MiB))
    cli.ok("cp", *flags, str(small), f"s3://{new_bucket}/r")
    cli.ok("cp", *flags, str(big), f"s3://{new_bucket}/big")
    client = _client(request.getfixturevalue("ceph_server"))
    for key in ("r", "big"):
        head = client.head_object(Bucket=new_bucket, Key=key)
        assert head["ContentDisposition"] == disposition
        assert head["ContentEncoding"] == "gzip"
    assert head["ETag"].endswith('-2"')  # the big one went up in parts
    tags = client.get_object_tagging(Bucket=new_bucket, Key="r")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "blue", "tier": "1", "note": "a b"}
    # Ceph RGW drops the tags of a multipart upload (CreateMultipartUpload's x-amz-tagging),
    # whichever client sends them (tests/integration/test_engines_large.py)
    assert client.get_object_tagging(Bucket=new_bucket, Key="big").get("TagSet") is None


def test_only_show_errors_and_quiet(cli: Cli, new_bucket: str, make_file: MakeFile) -> None:
    """cp --only-show-errors prints nothing on stdout (the copy is made) but still reports
    an error on stderr; sync -q and sync --only-show-errors print no summary either (the
    copies are made); a sync that fails still says so on stderr with status 1."""
    path = make_file("a.txt", b"a")
    done = cli.ok("cp", "--only-show-errors", str(path), f"s3://{new_bucket}/src/a.txt")
    assert done.stdout == "" and done.stderr == ""
    assert "no such file" in cli.fails(
        3, "cp", "--only-show-errors", str(path) + "-missing", f"s3://{new_bucket}/x"
    )
    for flag, dst in (("-q", "one"), ("--only-show-errors", "two")):
        out = cli.ok("sync", flag, f"s3://{new_bucket}/src", f"s3://{new_bucket}/{dst}")
        assert out.stdout == "" and out.stderr == "", (flag, out.stdout)
    assert _keys(cli, new_bucket) == ["one/a.txt", "src/a.txt", "two/a.txt"]
    loud = cli.ok("sync", f"s3://{new_bucket}/src", f"s3://{new_bucket}/three").stdout
    assert loud.splitlines()[-1].startswith("sync: 1 copied")


def test_no_follow_symlinks_leaves_links_out(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """cp -r of a folder reads through a symbolic link to a file by default (aws), and
    leaves it out with --no-follow-symlinks; mv -r takes the flag too."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"outside")
    (tree / "real.txt").write_bytes(b"real")
    (tree / "link.txt").symlink_to(tmp_path / "outside.txt")
    cli.ok("cp", "-r", str(tree), f"s3://{new_bucket}/follow")
    out = cli.ok("cp", "-r", "--no-follow-symlinks", str(tree), f"s3://{new_bucket}/nofollow")
    assert out.stdout == f"upload: {tree / 'real.txt'} to s3://{new_bucket}/nofollow/real.txt\n"
    assert _keys(cli, new_bucket) == ["follow/link.txt", "follow/real.txt", "nofollow/real.txt"]
    cli.ok("mv", "-r", "--no-follow-symlinks", str(tree), f"s3://{new_bucket}/moved")
    assert (tree / "link.txt").is_symlink() and not (tree / "real.txt").exists()


def test_expected_size_fits_a_stream_in_10000_parts(
    cli: Cli, new_bucket: str, make_file: MakeFile
) -> None:
    """cp - with --expected-size 200 GiB uploads the stream in parts of 200 GiB / 10,000
    (20.5 MiB: a 20 MiB stream is 1 part, ETag ``-1``) where the default 8 MiB parts make
    3 (``-3``) and would stop a 200 GiB stream at 78 GiB; the bytes are the stream's. A
    size beyond 10,000 parts of 5 GiB, a negative one, or the flag on a file exit 2. The
    local store (no parts) takes the flag and stores the bytes."""
    data = os.urandom(20 * MiB)
    cli.ok("cp", "--expected-size", str(200 * 1024**3), "-", f"s3://{new_bucket}/sized", input=data)
    cli.ok("cp", "-", f"s3://{new_bucket}/plain", input=data)
    for key in ("sized", "plain"):
        got = cli.ok("cp", f"s3://{new_bucket}/{key}", "-").raw_stdout  # type: ignore[attr-defined]
        assert got == data
    if cli.kind == "s3":
        etags = {
            key: json.loads(cli.ok("stat", "--json", f"s3://{new_bucket}/{key}").stdout)["etag"]
            for key in ("sized", "plain")
        }
        assert etags["sized"].endswith("-1") and etags["plain"].endswith("-3"), etags
    too_big = str(10_000 * 5 * 1024**3 + 1)
    assert "--expected-size" in cli.fails(
        2, "cp", "--expected-size", too_big, "-", f"s3://{new_bucket}/x", input=b""
    )
    assert "--expected-size" in cli.fails(
        2, "cp", "--expected-size", "-1", "-", f"s3://{new_bucket}/x", input=b""
    )
    path = make_file("f", b"f")
    assert "only for cp -" in cli.fails(
        2, "cp", "--expected-size", "1", str(path), f"s3://{new_bucket}/x"
    )
