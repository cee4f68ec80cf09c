"""Typed results: ``ok`` tells a facade's data from its error code and narrows ``X | int``
for type checkers; ``Bucket.store`` is typed ``Store``; and every Python example of
README.md and docs/*.md passes ``mypy --strict`` as written (a block whose first line is
``FRAGMENT`` is a piece of a larger example, left out, as the docs tests leave it out).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", re.S | re.M)
"""A python block, also one indented in a list item (its lines lose that indentation)."""
FRAGMENT = "# not run by the tests: a fragment"
ERROR = re.compile(r"^(?P<file>[^:\n]+\.py):(?P<line>\d+): error: (?P<text>.*)$", re.M)


def _mypy(files: list[Path], cwd: Path) -> str:
    """``mypy --strict`` over ``files`` (the project's settings for third-party modules),
    its output."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--no-pretty",
            "--show-error-codes",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "docs"),
            *map(str, files),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def _blocks() -> list[tuple[str, int, str]]:
    """``(doc, number, code)`` of every ```python block of README.md and docs/*.md but
    the fragments."""
    found = []
    for doc in DOCS:
        for number, match in enumerate(BLOCK.finditer((ROOT / doc).read_text()), 1):
            code = textwrap.dedent(match["code"])
            if not code.lstrip().startswith(FRAGMENT):
                found.append((doc, number, code))
    return found


class _Unknown(int):
    """Like the falsy error answer of an exists-style call: an ``int`` that is no bool."""

    def __bool__(self) -> bool:
        return False


def test_ok_tells_data_from_error_codes() -> None:
    """Data (objects, None, empty containers, True and False) is ok; an error code (a
    plain int or an int subclass other than bool) is not; a code alone is ok when it is
    the success code (0, or the one given)."""
    from backend.src.libs.bucket import ok
    from backend.src.libs.redis import ok as redis_ok
    from backend.src.libs.sql import ok as sql_ok

    for data in ({"file_size": 3}, [], b"", "", None, True, False, object()):
        assert ok(data) is True, data
    assert ok(84) is False and ok(_Unknown(84)) is False
    assert ok(0) is True and ok(1) is False
    assert ok(7, success=7) is True and ok(0, success=7) is False
    assert redis_ok is ok and sql_ok is ok


def test_ok_on_a_bucket_result() -> None:
    """On a real facade (the local store): a missing key's info is the error code, not
    ok, with ``last_error`` set; a present one is ok; the codes are ok on success."""
    import tempfile

    from backend.src.libs.bucket import Bucket, BucketConfig, ok
    from backend.src.libs.bucket.base.capabilities import Store
    from backend.src.libs.bucket.local.store import LocalStore

    with tempfile.TemporaryDirectory() as root:
        bucket = Bucket(config=BucketConfig(storage_type="local", local_root=root))
        assert ok(bucket.create_bucket("media"))
        missing = bucket.get_bucket_file("media", "nope")
        assert not ok(missing) and missing == bucket.error and bucket.last_error is not None
        assert ok(bucket.upload_stream("media", b"abc", "k"))
        info = bucket.get_bucket_file("media", "k")
        assert ok(info) and info["file_size"] == 3
        assert isinstance(bucket.store, Store) and isinstance(bucket.store, LocalStore)
        bucket.close()


def test_ok_narrows_for_mypy(tmp_path: Path) -> None:
    """mypy --strict narrows ``X | int`` to ``X`` when ``ok`` is true and to ``int`` when
    it is false, narrows nothing for a code, and accepts the documented core calls on
    ``bucket.store`` (presigning, ``ensure_bucket``)."""
    probe = tmp_path / "probe_ok.py"
    probe.write_text(
        "from backend.src.libs.bucket import Bucket, ok\n"
        "bucket = Bucket()\n"
        "info = bucket.get_bucket_file('b', 'k')\n"
        "if ok(info):\n"
        "    reveal_type(info)\n"
        "else:\n"
        "    reveal_type(info)\n"
        "code = bucket.delete_file('b', 'k')\n"
        "if ok(code):\n"
        "    reveal_type(code)\n"
        "retention = bucket.get_retention('b', 'k')\n"
        "if ok(retention):\n"
        "    reveal_type(retention)\n"
        "url: str = bucket.store.presign_url('b', 'k')\n"
        "report = bucket.store.ensure_bucket('b')\n"
    )
    out = _mypy([probe], ROOT)
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    assert revealed == [
        "TypedDict(backend.src.libs.bucket.bucket.BucketFile, {'bucket': str, 'file_path': "
        "str, 'key': str, 'file_size': int, 'size': int, 'etag': str | None, "
        "'last_modified': datetime.datetime | None, 'content_type': str | None, "
        "'metadata': dict[str, str], 'storage_class': str | None, 'version_id': str | None})",
        "int",
        "int",
        "backend.src.libs.bucket.base.write_rules.Retention | None",
    ], out
    assert not ERROR.search(out), out


def test_every_docs_python_block_passes_mypy_strict(tmp_path: Path) -> None:
    """Every ```python block of README.md and docs/*.md (fragments left out) passes
    ``mypy --strict`` as written; a failure names the doc, the block's number and first
    line, and mypy's errors for it. (Before: README's snippet failed with
    ``"BucketFile | int" is not indexable``, the seed examples with 3-21 errors each.)"""
    names: dict[str, tuple[str, int, str]] = {}
    files = []
    failed: dict[str, list[str]] = {}
    blocks = _blocks()
    assert len(blocks) > 30, "the docs hold fewer python blocks than expected"
    for doc, number, code in blocks:
        first = code.lstrip().splitlines()[0]
        try:  # a syntax error would stop mypy before the other blocks
            compile(code, f"{doc} block {number}", "exec")
        except SyntaxError as exc:
            failed[f"{doc} block {number} ({first!r})"] = [f"  line {exc.lineno}: {exc.msg}"]
            continue
        slug = re.sub(r"\W", "_", doc.removesuffix(".md"))
        path = tmp_path / f"{slug}_{number}.py"
        path.write_text(code)
        names[path.name] = (doc, number, first)
        files.append(path)
    out = _mypy(files, ROOT)
    for error in ERROR.finditer(out):
        doc, number, first = names[Path(error["file"]).name]
        failed.setdefault(f"{doc} block {number} ({first!r})", []).append(
            f"  line {error['line']}: {error['text']}"
        )
    report = "\n".join(f"{block}:\n" + "\n".join(lines) for block, lines in failed.items())
    assert not failed, f"mypy --strict fails on {len(failed)} docs block(s):\n{report}"
