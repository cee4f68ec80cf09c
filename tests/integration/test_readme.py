"""README's first Python example runs as written on the embedded default (a local folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.integration


def _first_python_block() -> str:
    found = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert found, "README.md has no ```python block"
    return found.group(1)


def test_readme_example_runs_on_the_local_default(tmp_path: Path) -> None:
    """With no settings and no .env, README's first example uploads, stats and prints the
    size (it failed with NoSuchBucket before it made its bucket); it does not take the
    failure branch."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_")) and k != "STORAGE_TYPE"
    } | {"PYTHONPATH": str(ROOT)}
    script = tmp_path / "readme_example.py"
    script.write_text(_first_python_block())
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "upload failed" not in done.stdout, done.stdout
    size = (tmp_path / "image.jpg").stat().st_size
    assert done.stdout.split() == [str(size)], done.stdout + done.stderr
    folder = tmp_path / ".bucket-data" / "media" / "uploads" / "2025"  # the local default
    assert [p.name for p in folder.iterdir() if p.name.startswith("image.jpg")], done.stdout
