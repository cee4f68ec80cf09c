"""``.env.example`` lists every variable of every module with values that validate."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from backend.src.libs.bucket.base.config import VARIABLES as BUCKET_VARIABLES
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.core import settings_docs
from backend.src.libs.redis.config import URL_VARIABLE, RedisConfig
from backend.src.libs.redis.config import VARIABLES as REDIS_VARIABLES
from backend.src.libs.sql.config import VARIABLES as SQL_VARIABLES
from backend.src.libs.sql.config import SQLConfig

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_lists_every_variable_with_a_comment() -> None:
    """Each variable of the bucket, redis and sql modules has a line, under a comment."""
    text = EXAMPLE.read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    wanted = {URL_VARIABLE}
    for table in (BUCKET_VARIABLES, REDIS_VARIABLES, SQL_VARIABLES):
        wanted.update(v for names in table.values() for v in names)
    assert sorted(wanted - listed) == []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            above = [x for x in lines[:index] if not re.match(r"^[A-Z][A-Z0-9_]*=", x)]
            assert above and above[-1].startswith("#"), f"no comment above {line!r}"


def test_env_example_values_validate_in_every_module() -> None:
    """The example's defaults build a valid config for each module."""
    env = {k: v for k, v in dotenv_values(EXAMPLE).items() if v is not None}
    bucket = BucketConfig.from_env(env)
    redis = RedisConfig.from_env(env)
    sql = SQLConfig.from_env(env)
    assert bucket.endpoint_url == "http://127.0.0.1:9000"
    assert bucket.default_bucket == "media"
    assert (redis.host, redis.port, redis.db) == ("127.0.0.1", 6379, 0)
    assert (sql.host, sql.port, sql.database, sql.pool_size) == ("127.0.0.1", 3306, "bucket", 5)


def test_env_example_blocks_are_generated_from_the_declarations() -> None:
    """Each module's block of .env.example is what its declarations give: one comment
    (doc, values, default) per setting, the example value on the first variable, the
    aliases empty (``python -m backend.src.libs.core.settings_docs --write`` fixes drift)."""
    text = EXAMPLE.read_text()
    env_blocks = [b for b in settings_docs.blocks() if b.path == settings_docs.ENV_EXAMPLE]
    assert [b.marker for b in env_blocks] == ["settings:bucket", "settings:redis", "settings:sql"]
    for block in env_blocks:
        assert settings_docs.current(text, block) == block.text, block.marker
