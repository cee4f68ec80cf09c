"""docs/async.md's FastAPI example runs as written, in-process through httpx's ASGI
transport, against the Ceph test server: upload a form file, stream it back, hand out a
presigned POST that Ceph accepts, and report ``aping()`` on the health route."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration
MARK = "# docs/async.md: the FastAPI example"


def _example() -> str:
    text = (Path(ROOT) / "docs" / "async.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if b.startswith(MARK)]
    assert len(blocks) == 1
    return blocks[0]


@pytest.fixture
def media(ceph_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket named by ``MEDIA_BUCKET``, the environment pointing at Ceph."""
    store = S3Store(config_for(ceph_server))
    name = unique_bucket_name("media")
    store.create_bucket(name)
    for variable, value in {
        "S3_ENDPOINT_URL": ceph_server.endpoint,
        "AWS_ACCESS_KEY_ID": ceph_server.access_key,
        "AWS_SECRET_ACCESS_KEY": ceph_server.secret_key,
        "AWS_REGION": ceph_server.region,
        "MEDIA_BUCKET": name,
    }.items():
        monkeypatch.setenv(variable, value)
    yield name
    with contextlib.suppress(Exception):
        store.delete_bucket(name, force=True)
    store.close()


def test_fastapi_example_runs_against_ceph(media: str, tmp_path: Path) -> None:
    """The example's routes: POST a 300 KiB form file (200, the key back), GET it
    back as a stream (same bytes), a GET of a missing key is 404, the presigned POST form
    uploads to Ceph directly (the object then reads back), and /health reports the
    AsyncBucket healthy (200, JSON); the runtime closes cleanly."""
    module = ModuleType("async_example")
    exec(compile(_example(), "docs/async.md", "exec"), module.__dict__)
    app, runtime = module.app, module.runtime
    payload = bytes(range(256)) * 1200  # 300 KiB: a stream through the executor

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            sent = await client.post(
                "/files/docs/report.bin", files={"file": ("report.bin", payload)}
            )
            assert sent.status_code == 200, sent.text
            assert sent.json() == {"key": "docs/report.bin"}
            got = await client.get("/files/docs/report.bin")
            assert got.status_code == 200
            assert got.content == payload
            missing = await client.get("/files/nope")
            assert missing.status_code == 404
            assert "does not exist" in missing.json()["detail"]
            form = (await client.post("/upload-forms/direct/upload.txt")).json()
            async with httpx.AsyncClient() as outside:
                posted = await outside.post(
                    form["url"], data=form["fields"], files={"file": ("u.txt", b"direct")}
                )
            assert posted.status_code in (200, 201, 204), posted.text
            again = await client.get("/files/direct/upload.txt")
            assert again.content == b"direct"
            health = await client.get("/health")
            assert health.status_code == 200
            assert health.json()["services"]["AsyncBucket"]["healthy"] is True
        report = await runtime.aclose()
        assert report.ok and "AsyncBucket" in report.closed

    asyncio.run(scenario())
