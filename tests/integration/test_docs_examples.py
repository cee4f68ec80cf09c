"""The Python examples in the docs run as written against the real server.

Each ```python block runs in a subprocess whose environment points at the test server.
By default the server is given by ``BUCKET_HOST``, ``BUCKET_PORT``, ``BUCKET_USER`` and
``BUCKET_PASSWORD`` only. A block whose first line is ``# environment: NAME ...`` gets the
variables a user of that seed system sets instead (``SEED_ENVIRONMENTS[NAME]``: e.g. EJE's
``S3_BUCKET_NAME``, ``S3_ENDPOINT_URL``, ``AWS_*``), with the server's values; the names must
be exactly those the nearest ```bash block before it exports, so the doc and the test
cannot drift apart. A block whose first line starts with ``SKIP_MARK`` is not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration
DOCS = ["docs/bucket.md", "docs/configuration.md", "docs/seeds.md"]
BLOCK = re.compile(r"```(python|bash)\n(.*?)```", re.S)
SKIP_MARK = "# not run by the tests:"
ENV_MARK = re.compile(r"# environment: ([\w-]+)")
EXPORT = re.compile(r"^\s*export\s+([A-Z][A-Z0-9_]*)=", re.M)


def _server_env(server: S3Server) -> dict[str, str]:
    """The default: the server in the AsperBackend variables (``BUCKET_*``)."""
    url = urlsplit(server.endpoint)
    return {
        "BUCKET_HOST": url.hostname or "",
        "BUCKET_PORT": str(url.port),
        "BUCKET_USER": server.access_key,
        "BUCKET_PASSWORD": server.secret_key,
    }


def _docex_env(server: S3Server) -> dict[str, str]:
    """DocEX (seeds 000, 001): AWS credentials and region; the endpoint by boto3's name."""
    return {
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": server.region,
        "AWS_ENDPOINT_URL": server.endpoint,
    }


def _design_analysis_env(server: S3Server) -> dict[str, str]:
    """Design-Analysis (seed 002): STORAGE_TYPE, S3_BUCKET_NAME, S3_REGION, S3_PREFIX."""
    return {
        "STORAGE_TYPE": "s3",
        "S3_BUCKET_NAME": f"design-analysis-{uuid.uuid4().hex[:8]}",
        "S3_REGION": server.region,
        "S3_PREFIX": "design-analysis",
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": server.region,
        "S3_ENDPOINT_URL": server.endpoint,
        "BUCKET_CREATE_PRESET": "archive",
    }


def _eje_env(server: S3Server) -> dict[str, str]:
    """EJE (seed 003): S3_BUCKET_NAME, S3_ENDPOINT_URL, AWS_*, S3_* tuning."""
    return {
        "S3_BUCKET_NAME": f"eje-evidence-{uuid.uuid4().hex[:8]}",
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": server.region,
        "S3_MAX_RETRIES": "2",
        "S3_CONNECT_TIMEOUT": "10",
        "S3_READ_TIMEOUT": "30",
    }


SEED_ENVIRONMENTS: dict[str, Callable[[S3Server], dict[str, str]]] = {
    "asperbackend": _server_env,
    "docex": _docex_env,
    "design-analysis": _design_analysis_env,
    "eje": _eje_env,
}


def _blocks() -> list[tuple[str, int, str, str | None]]:
    """(doc, number, code, the names the ```bash block before it exports) per python block."""
    found = []
    for doc in DOCS:
        path = ROOT / doc
        if not path.exists():
            continue
        number, exports = 0, None
        for match in BLOCK.finditer(path.read_text()):
            if match.group(1) == "bash":
                exports = " ".join(sorted(set(EXPORT.findall(match.group(2)))))
                continue
            number += 1
            found.append((doc, number, match.group(2), exports))
    return found


def _env_for(code: str, exports: str | None, server: S3Server) -> dict[str, str]:
    """The server in the variables the block asks for (see the module docstring)."""
    marked = ENV_MARK.match(code.lstrip())
    if marked is None:
        return _server_env(server)
    name = marked.group(1)
    assert name in SEED_ENVIRONMENTS, (
        f"unknown environment {name!r}: one of {list(SEED_ENVIRONMENTS)}"
    )
    seed = SEED_ENVIRONMENTS[name](server)
    assert exports is not None, (
        f"'# environment: {name}' needs a ```bash block of exports before it"
    )
    assert exports == " ".join(sorted(seed)), (
        f"the ```bash block before this example exports {exports}, "
        f"the test gives {' '.join(sorted(seed))}"
    )
    return seed


@pytest.mark.parametrize(
    ("doc", "number", "code", "exports"),
    _blocks(),
    ids=lambda v: str(v)[:30] if not isinstance(v, int) else str(v),
)
def test_example_runs(
    doc: str, number: int, code: str, exports: str | None, ceph_server: S3Server, tmp_path: Path
) -> None:
    """Each ```python block of the docs exits 0 with the server configured by BUCKET_*
    only, or by the seed variables its ``# environment:`` line names."""
    if code.lstrip().startswith(SKIP_MARK):
        pytest.skip(code.lstrip().splitlines()[0])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_")) and k != "STORAGE_TYPE"
    }
    env.update(_env_for(code, exports, ceph_server), PYTHONPATH=str(ROOT))
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{doc} example {number} failed:\n{done.stdout}\n{done.stderr}"


def test_seed_environments_match_the_doc() -> None:
    """Every ``# environment:`` block names a known seed and the ```bash block before it
    exports exactly that seed's variables; a drift between the two is caught (no server)."""
    server = S3Server("fake", "http://127.0.0.1:9", "access", "secret")
    marked = [b for b in _blocks() if ENV_MARK.match(b[2].lstrip())]
    assert {ENV_MARK.match(code.lstrip()).group(1) for _, _, code, _ in marked} == set(  # type: ignore[union-attr]
        SEED_ENVIRONMENTS
    )
    for _doc, _number, code, exports in marked:
        assert _env_for(code, exports, server)
    with pytest.raises(AssertionError, match="exports"):
        _env_for("# environment: eje\n", "AWS_REGION S3_BUCKET_NAME", server)
