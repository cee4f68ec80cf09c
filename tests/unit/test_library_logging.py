"""Issue 23 items 1 and 5: the library logs as a guest in the application's logging.

The rule (the ``logging`` HOWTO for libraries, as boto3 and redis-py follow it): stdlib
``logging`` under the ``bucket`` logger, one ``NullHandler`` and no other handler, no
level set; one record per failed call, at WARNING with the code and the reason; a missing
key or bucket asked about (``NotFound`` on a read) at DEBUG; nothing above DEBUG on
success; the local folder store chosen because no setting points at S3 announced once per
process at WARNING on ``bucket``, an explicit local choice silent. The same on Ceph:
``tests/integration/test_library_logging.py``.

"Service-like" below: the application configured the root logger with its own handler
(as uvicorn's ``--log-config``, Django or ``logging.basicConfig`` do) before using the
library; the records are those of the ``bucket`` loggers that reach that handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
from backend.src.libs.redis import Redis, RedisConfig
from backend.src.libs.sql import SQL, SQLConfig
from tests.servers import ROOT

LIBRARY = "bucket"


class _AppHandler(logging.Handler):
    """The application's own handler on the root logger: keeps the records it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def ours(self) -> list[logging.LogRecord]:
        """The records of the library's loggers (``bucket`` and below)."""
        return [r for r in self.records if r.name == LIBRARY or r.name.startswith(LIBRARY + ".")]

    def above_debug(self) -> list[str]:
        return [
            f"{r.levelname} {r.name}: {r.getMessage()}"
            for r in self.ours()
            if r.levelno > logging.DEBUG
        ]


@pytest.fixture
def app_logging() -> Iterator[_AppHandler]:
    """The root logger configured by the application at DEBUG with its own handler."""
    with application_logging() as handler:
        yield handler


@contextlib.contextmanager
def application_logging() -> Iterator[_AppHandler]:
    """The root logger configured by the application at DEBUG with its own handler; the
    library's loggers left as the library leaves them (their levels put back after)."""
    root = logging.getLogger()
    handler = _AppHandler()
    saved = root.level, logging.root.manager.disable
    levels = {name: logging.getLogger(name).level for name in _library_logger_names()}
    for name in levels:  # another test may have set one (test_no_secret_leaks sets DEBUG)
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.disable(logging.NOTSET)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        logging.disable(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _library_logger_names() -> list[str]:
    names = [LIBRARY, *(n for n in logging.root.manager.loggerDict if n.startswith(LIBRARY + "."))]
    return sorted(set(names))


def _local(tmp_path: Path) -> BucketConfig:
    """An explicit local folder store (no announcement)."""
    return BucketConfig(storage_type="local", local_root=str(tmp_path / "data"))


def _sync_call(config: BucketConfig, call: Callable[[Bucket], object]) -> object:
    bucket = Bucket(config=config)
    try:
        return call(bucket)
    finally:
        bucket.disconnect()


def _async_call(config: BucketConfig, call: Callable[[Bucket], object]) -> object:
    async def run() -> object:
        async with AsyncBucket(config=config) as bucket:
            return await call(bucket)  # type: ignore[arg-type,misc]

    return asyncio.run(run())


FACADES = {"Bucket": _sync_call, "AsyncBucket": _async_call}


# ------------------------------------------------------------- one record
@pytest.mark.parametrize("facade", FACADES)
def test_a_failed_call_is_one_warning_record_with_its_code(
    facade: str, tmp_path: Path, app_logging: _AppHandler
) -> None:
    """Service-like: a failed call (an invalid bucket name) gives exactly one record of the
    library, at WARNING, on ``bucket.<Facade>``, naming the operation, the code and the
    reason; the application's handler sees it once (no second handler of the library)."""
    config = _local(tmp_path)
    code = FACADES[facade](config, lambda b: b.download_stream("Bad_Name", "k"))
    assert code == 84
    about = [r for r in app_logging.ours() if "InvalidBucketName" in r.getMessage()]
    assert [(r.levelno, r.name) for r in about] == [(logging.WARNING, f"bucket.{facade}")]
    assert len(app_logging.above_debug()) == 1, app_logging.above_debug()
    message = about[0].getMessage()
    assert "download_stream" in message and "Bad_Name" in message
    assert about[0].args, "the message is built lazily (%s arguments)"


@pytest.mark.parametrize("facade", FACADES)
def test_a_missing_key_read_is_a_debug_record_only(
    facade: str, tmp_path: Path, app_logging: _AppHandler
) -> None:
    """A routine miss is an answer, not a fault: ``download_stream``, ``open_file``,
    ``get_file_info`` of a missing key and ``download_stream`` from a missing bucket each
    return ``error`` (``last_error`` a ``NotFound``) and log one DEBUG record, nothing
    above DEBUG."""
    config = _local(tmp_path)
    assert FACADES[facade](config, lambda b: b.create_bucket("logs-here")) == 0

    for call in (
        lambda b: b.download_stream("logs-here", "no-such-key"),
        lambda b: b.open_file("logs-here", "no-such-key"),
        lambda b: b.get_file_info("logs-here", "no-such-key"),
        lambda b: b.download_stream("no-such-bucket", "k"),
    ):
        app_logging.records.clear()
        assert FACADES[facade](config, call) == 84
        records = app_logging.ours()
        assert app_logging.above_debug() == []
        misses = [r for r in records if "NoSuch" in r.getMessage()]
        assert len(misses) == 1 and misses[0].levelno == logging.DEBUG, records


@pytest.mark.parametrize("facade", FACADES)
def test_success_logs_nothing_above_debug(
    facade: str, tmp_path: Path, app_logging: _AppHandler
) -> None:
    """Creating a bucket, writing, reading, listing, asking and deleting, all successful:
    no record of the library above DEBUG."""
    config = _local(tmp_path)

    async def async_steps(b: Any) -> list[object]:
        return [
            await b.create_bucket("quiet-one"),
            await b.upload_stream("quiet-one", b"x", "k"),
            await b.download_stream("quiet-one", "k"),
            await b.file_exists("quiet-one", "k"),
            await b.file_exists("quiet-one", "missing"),
            await b.bucket_exists("quiet-two"),
            await b.get_bucket_files("quiet-one"),
            await b.delete_file("quiet-one", "k"),
            await b.health_check(),
        ]

    def sync_steps(b: Any) -> list[object]:
        return [
            b.create_bucket("quiet-one"),
            b.upload_stream("quiet-one", b"x", "k"),
            b.download_stream("quiet-one", "k"),
            b.file_exists("quiet-one", "k"),
            b.file_exists("quiet-one", "missing"),
            b.bucket_exists("quiet-two"),
            b.get_bucket_files("quiet-one"),
            b.delete_file("quiet-one", "k"),
            b.health_check(),
        ]

    steps = async_steps if facade == "AsyncBucket" else sync_steps
    results = FACADES[facade](config, steps)  # type: ignore[arg-type]
    assert results == [0, 0, b"x", True, False, False, ["k"], 0, True]
    assert app_logging.above_debug() == []


def test_one_config_error_is_one_record_for_one_connect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_logging: _AppHandler
) -> None:
    """A bad setting, ``Bucket()`` (auto_connect reads it) then ``connect()``: one WARNING
    naming the variable, not two (the construction keeps the error for the first call and
    logs it at DEBUG)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BUCKET_HOST", "127.0.0.1")
    monkeypatch.setenv("BUCKET_PORT", "not-a-port")
    bucket = Bucket()
    assert bucket.connect() == 84
    warnings = [r for r in app_logging.ours() if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, app_logging.above_debug()
    assert "BUCKET_PORT" in warnings[0].getMessage() and "connect" in warnings[0].getMessage()


@pytest.mark.parametrize("peer", ["Redis", "SQL"])
def test_the_peers_log_one_warning_per_failed_call(peer: str, app_logging: _AppHandler) -> None:
    """``Redis`` and ``SQL`` follow the same rule on ``bucket.Redis`` / ``bucket.SQL``: a
    refused connection is one WARNING with the code, nothing more."""
    if peer == "Redis":
        redis = Redis(config=RedisConfig(port=1, connect_timeout=1, max_retries=0))
        assert redis.get("k") == 84
        code, operation = str(getattr(redis.last_error, "code", "?")), "get"
        redis.disconnect()
    else:
        sql = SQL(config=SQLConfig(port=1, connect_timeout=1))
        assert sql.fetch_all("SELECT 1") == 84
        code, operation = str(getattr(sql.last_error, "code", "?")), "fetch_all"
        sql.disconnect()
    records = app_logging.ours()
    warnings = [r for r in records if r.levelno >= logging.WARNING]
    assert [(r.levelno, r.name) for r in warnings] == [(logging.WARNING, f"bucket.{peer}")]
    message = warnings[0].getMessage()
    assert message.startswith(f"{operation} failed: {code}: "), message


def test_debug_true_sets_no_level_and_adds_no_handler(tmp_path: Path) -> None:
    """``debug=True`` (kept for the seeds' signature) configures nothing: the facade's
    logger keeps level NOTSET (the application decides) and gains no handler."""
    bucket = Bucket(debug=True, config=_local(tmp_path))
    assert bucket.download_stream("Bad_Name", "k") == 84
    logger = logging.getLogger("bucket.Bucket")
    assert logger.level == logging.NOTSET
    assert logger.handlers == []


# ------------------------------------------------------- fresh processes
def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_", "REDIS_", "DB_"))
        and k not in ("STORAGE_TYPE", "HOME")
    }
    return env | {"PYTHONPATH": str(ROOT)} | extra


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=_clean_env(HOME=str(cwd), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


_HANDLERS = """
import logging

def handlers():
    names = ["", "bucket"] + sorted(n for n in logging.root.manager.loggerDict if n.startswith("bucket."))
    found = {}
    for name in names:
        logger = logging.getLogger(name)
        if isinstance(logger, logging.Logger) and logger.handlers:
            found[name or "root"] = sorted(type(h).__name__ for h in logger.handlers)
    return found
"""


def test_the_library_adds_only_a_null_handler(tmp_path: Path) -> None:
    """In a fresh process, before and after the first use and a failure of each facade
    (Bucket, AsyncBucket, Redis, SQL) and of the stores: the only handler the library
    adds anywhere is one ``NullHandler`` on ``bucket``; no level is set."""
    done = _python(
        _HANDLERS
        + textwrap.dedent("""
        import asyncio
        print("before", handlers())
        from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
        from backend.src.libs.redis import Redis, RedisConfig
        from backend.src.libs.sql import SQL, SQLConfig
        from backend.src.libs.bucket.factory import make_store
        config = BucketConfig(storage_type="local", local_root="data")
        bucket = Bucket(debug=True, config=config)
        assert bucket.create_bucket("ok-bucket") == 0
        assert bucket.download_stream("ok-bucket", "missing") == 84
        assert bucket.download_stream("Bad_Name", "k") == 84
        async def main():
            async with AsyncBucket(debug=True, config=config) as ab:
                assert await ab.download_stream("Bad_Name", "k") == 84
        asyncio.run(main())
        assert Redis(debug=True, config=RedisConfig(port=1, max_retries=0)).get("k") == 84
        assert SQL(debug=True, config=SQLConfig(port=1, connect_timeout=1)).fetch_all("SELECT 1") == 84
        make_store(BucketConfig.from_env({}, env_file=None)).close()  # the default store
        print("after", handlers())
        levels = {n: logging.getLogger(n).level for n in logging.root.manager.loggerDict
                  if n == "bucket" or n.startswith("bucket.")}
        print("levels", sorted(set(levels.values())))
        """),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "before {}",
        "after {'bucket': ['NullHandler']}",
        "levels [0]",
    ]


def test_an_unconfigured_application_prints_nothing(tmp_path: Path) -> None:
    """An application that configures no logging: failures (an invalid name, a refused
    connection of each facade, a bad setting) and the default store's announcement print
    nothing on stderr (no handler of the library, and Python's last resort is not used)."""
    done = _python(
        """
        import asyncio
        from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
        from backend.src.libs.redis import Redis, RedisConfig
        from backend.src.libs.sql import SQL, SQLConfig
        config = BucketConfig(storage_type="local", local_root="data")
        assert Bucket(config=config).download_stream("Bad_Name", "k") == 84
        async def main():
            async with AsyncBucket(config=config) as ab:
                assert await ab.download_stream("Bad_Name", "k") == 84
        asyncio.run(main())
        assert Redis(config=RedisConfig(port=1, max_retries=0)).get("k") == 84
        assert SQL(config=SQLConfig(port=1, connect_timeout=1)).fetch_all("SELECT 1") == 84
        default = Bucket()  # no setting: the local folder store, announced
        assert default.create_bucket("Bad_Name") == 84
        print("done")
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    assert done.stderr == ""


_ANNOUNCED = """
import logging
class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []
    def emit(self, record):
        self.records.append(record)
keep = Keep()
logging.basicConfig(level=logging.INFO, handlers=[keep])
from backend.src.libs.bucket import Bucket, BucketConfig
"""


def _announcements(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_default_store_is_announced_once_per_process(tmp_path: Path) -> None:
    """No setting points at S3: the first facade that builds the local folder store logs
    one WARNING on ``bucket`` naming the absolute folder and how to choose it on purpose
    (``STORAGE_TYPE=local`` / ``BUCKET_LOCAL_ROOT``); a second facade, a reconnection and
    an ``AsyncBucket`` in the same process add none."""
    done = _python(
        _ANNOUNCED
        + textwrap.dedent("""
        import asyncio
        from backend.src.libs.bucket import AsyncBucket
        for _ in range(2):
            bucket = Bucket()
            assert bucket.create_bucket("one-bucket") == 0
            assert bucket.connect() == 0
            bucket.disconnect()
        async def main():
            async with AsyncBucket() as ab:
                assert await ab.bucket_exists("one-bucket") is True
        asyncio.run(main())
        for r in keep.records:
            if r.levelno > logging.DEBUG:
                print(r.levelname, r.name, r.getMessage())
        """),
        tmp_path,
    )
    lines = _announcements(done)
    assert len(lines) == 1, lines
    level, name, message = lines[0].split(" ", 2)
    assert (level, name) == ("WARNING", "bucket")
    assert str(tmp_path / ".bucket-data") in message
    assert "STORAGE_TYPE=local" in message and "BUCKET_LOCAL_ROOT" in message
    assert "no setting points at S3" in message


@pytest.mark.parametrize(
    ("how", "env", "config"),
    [
        ("STORAGE_TYPE=local", {"STORAGE_TYPE": "local"}, "None"),
        ("BUCKET_STORAGE_TYPE=local", {"BUCKET_STORAGE_TYPE": "local"}, "None"),
        ("BUCKET_LOCAL_ROOT", {"BUCKET_LOCAL_ROOT": "chosen"}, "None"),
        ("BucketConfig(storage_type='local')", {}, "BucketConfig(storage_type='local')"),
        ("from_env(storage_type='local')", {}, "BucketConfig.from_env(storage_type='local')"),
    ],
)
def test_an_explicit_local_choice_is_silent(
    how: str, env: dict[str, str], config: str, tmp_path: Path
) -> None:
    """The local folder store chosen on purpose (a storage type variable, a root, or a
    config built in code) logs nothing above DEBUG."""
    done = _python(
        _ANNOUNCED
        + textwrap.dedent(f"""
        bucket = Bucket(config={config})
        assert bucket.create_bucket("one-bucket") == 0
        assert bucket.connect() == 0
        for r in keep.records:
            if r.levelno > logging.DEBUG:
                print(r.levelname, r.name, r.getMessage())
        """),
        tmp_path,
        **env,
    )
    assert _announcements(done) == [], how
