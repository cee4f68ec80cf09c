"""``du`` takes a prefix as a folder, as ``rm -r`` and ``sync`` do (issue 25, item 7)."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli, MakeFile

pytestmark = pytest.mark.integration


def test_du_of_a_prefix_counts_that_folder_only(
    cli: Cli, new_bucket: str, make_file: MakeFile
) -> None:
    """``du s3://b/site`` and ``du s3://b/site/`` count the 2 objects under ``site/``
    (5 bytes), never ``site-other/x`` nor the key ``site`` itself; the line and the JSON
    name the folder ``site/``; the bucket counts all four."""
    for key, data in (
        ("site/a", b"12"),
        ("site/sub/b", b"345"),
        ("site-other/x", b"6789"),
        ("site", b"0"),
    ):
        cli.ok("cp", str(make_file("f", data)), f"s3://{new_bucket}/{key}")
    for path in (f"s3://{new_bucket}/site", f"s3://{new_bucket}/site/"):
        line = cli.ok("du", path).stdout
        assert line == f"2 objects  5 bytes (5 B)  s3://{new_bucket}/site/\n"
        doc = json.loads(cli.ok("du", "--json", path).stdout)
        assert doc == {"bucket": new_bucket, "prefix": "site/", "objects": 2, "bytes": 5}
    assert cli.ok("du", f"s3://{new_bucket}").stdout.startswith("4 objects  10 bytes")
