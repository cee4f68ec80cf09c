"""A settings file named by the caller must exist (issue 14): ``from_env(env_file=...)``
of every config raises its config error naming the file, instead of silently reading
the environment alone (which, for ``BucketConfig``, chose the local default store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.core.settings import DEFAULT_ENV_FILE, read_environ
from backend.src.libs.redis.config import RedisConfig, RedisConfigError
from backend.src.libs.sql.config import SQLConfig, SQLConfigError


@pytest.mark.parametrize(
    ("config", "error"),
    [(BucketConfig, ConfigError), (RedisConfig, RedisConfigError), (SQLConfig, SQLConfigError)],
)
def test_a_named_env_file_that_does_not_exist_raises(
    config: type[BucketConfig | RedisConfig | SQLConfig], error: type[Exception], tmp_path: Path
) -> None:
    """``from_env(env_file="old.env")`` with no such file raises the config's error naming
    the file; a folder in its place is refused too."""
    with pytest.raises(error, match=r"old\.env.*does not exist"):
        config.from_env(env_file=tmp_path / "old.env")
    with pytest.raises(error, match="is not a file"):
        config.from_env(env_file=str(tmp_path))


def test_the_default_env_file_may_be_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``from_env()`` in a folder without ``.env`` reads the environment alone; an explicit
    ``env_file=None`` skips the file; a given mapping is read as is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BUCKET_LOCAL_ROOT", str(tmp_path / "root"))
    assert BucketConfig.from_env().local_root == str(tmp_path / "root")
    assert read_environ(None, DEFAULT_ENV_FILE)["BUCKET_LOCAL_ROOT"] == str(tmp_path / "root")
    assert BucketConfig.from_env(env_file=None).local_root == str(tmp_path / "root")
    assert read_environ({"A": "1"}, tmp_path / "nope.env") == {"A": "1"}


def test_a_named_env_file_is_read_under_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A named file that exists is read, the process environment winning over it."""
    env_file = tmp_path / "s3.env"
    env_file.write_text("AWS_REGION=eu-west-3\nBUCKET_LOCAL_ROOT=/from/file\n")
    monkeypatch.setenv("BUCKET_LOCAL_ROOT", "/from/env")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("BUCKET_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = BucketConfig.from_env(env_file=str(env_file))
    assert config.region == "eu-west-3" and config.local_root == "/from/env"
