"""The Python examples in the docs run as written against the real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration
DOCS = ["docs/bucket.md", "docs/configuration.md"]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
SKIP_MARK = "# not run by the tests:"


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for doc in DOCS:
        path = ROOT / doc
        if not path.exists():
            continue
        for number, match in enumerate(BLOCK.finditer(path.read_text()), start=1):
            found.append((doc, number, match.group(1)))
    return found


@pytest.mark.parametrize(("doc", "number", "code"), _blocks(), ids=lambda v: str(v)[:30] if not isinstance(v, int) else str(v))
def test_example_runs(doc: str, number: int, code: str, ceph_server: S3Server, tmp_path: Path) -> None:
    """Each ```python block of the docs exits 0 with the server configured by BUCKET_* only."""
    if code.lstrip().startswith(SKIP_MARK):
        pytest.skip(code.lstrip().splitlines()[0])
    url = urlsplit(ceph_server.endpoint)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "BUCKET_"))}
    env.update(
        BUCKET_HOST=url.hostname or "",
        BUCKET_PORT=str(url.port),
        BUCKET_USER=ceph_server.access_key,
        BUCKET_PASSWORD=ceph_server.secret_key,
        PYTHONPATH=str(ROOT),
    )
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{doc} example {number} failed:\n{done.stdout}\n{done.stderr}"
