"""The settings declarations (core.declarations) and the three configs built from them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from backend.src.libs.bucket.base.config import SETTINGS as BUCKET
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.core.declarations import Setting, Table
from backend.src.libs.redis.config import SETTINGS as REDIS
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.sql.config import SETTINGS as SQL
from backend.src.libs.sql.config import SQLConfig

CONFIGS: list[tuple[Table, type[Any]]] = [
    (BUCKET, BucketConfig),
    (REDIS, RedisConfig),
    (SQL, SQLConfig),
]
# declarations that are inputs of a field rather than a field of their own
NOT_FIELDS = {"bucket": {"host", "port", "scheme"}, "redis": {"url"}, "sql": set()}
# fields that are not settings (what from_env found, not what it read)
NOT_SETTINGS = {"sources", "origins", "s3_signs", "storage_defaulted"}
SSE_C_KEY = "ab" * 32
# a value each setting accepts alone (plus what it needs beside it)
SAMPLES: dict[str, dict[str, str]] = {
    "bucket:endpoint_url": {"": "http://h:9000"},
    "bucket:public_url": {"": "http://h:9000"},
    "bucket:access_key": {"": "a", "BUCKET_PASSWORD": "b"},
    "bucket:secret_key": {"": "secret-key-value", "BUCKET_USER": "a"},
    "bucket:region": {"": "eu-west-3"},
    "bucket:sse_kms_key_id": {"": "key-1", "BUCKET_SSE": "aws:kms"},
    "bucket:sse_customer_key": {"": SSE_C_KEY},
    "bucket:role_arn": {"": "arn:aws:iam::123456789012:role/r"},
    "bucket:role_session_name": {"": "session"},
    "bucket:role_external_id": {"": "ext-id"},
    "bucket:sse": {"": "AES256"},
    "bucket:create_encryption": {"": "aws:kms"},
    "bucket:storage_class": {"": "GLACIER"},
    "bucket:create_preset": {"": "archive"},
    "bucket:verify_ssl": {"": "false"},
    "bucket:prefix": {"": "tenant"},
    "redis:url": {"": "redis://h:6380/2"},
    "sql:database": {"": "shop"},
    "sql:charset": {"": "latin1"},
}


def _sample(table: Table, setting: Setting, variable: str) -> dict[str, str]:
    """An environment that sets ``setting`` through ``variable`` to a valid value."""
    given = SAMPLES.get(f"{table.key}:{setting.name}")
    if given is not None:
        env = {k: v for k, v in given.items() if k}
        env[variable] = given[""]
        return env
    if setting.kind == "int":
        value = str(setting.low)
    elif setting.kind == "bool":
        value = "true"
    elif setting.kind == "choice":
        value = setting.choices[-1]
    else:
        value = setting.example or f"value-of-{setting.name}"
    return {variable: value}


def _fields(cls: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if f.name not in NOT_SETTINGS}


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_every_field_is_declared_with_the_dataclass_default(table: Table, cls: type[Any]) -> None:
    """Each config field has one declaration whose default is the dataclass default; the
    only declarations without a field are the known inputs (host, port, scheme, url)."""
    fields = _fields(cls)
    assert set(table.by_name) - set(fields) == NOT_FIELDS[table.key]
    assert set(fields) - set(table.by_name) == set()
    for name, f in fields.items():
        assert table[name].default == f.default, name


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_every_variable_and_alias_sets_its_setting(table: Table, cls: type[Any]) -> None:
    """Each declared variable, alias included, sets its setting alone; the source names it."""
    for setting in table.settings:
        if setting.name in NOT_FIELDS[table.key]:
            continue
        for variable in setting.variables:
            config = cls.from_env(_sample(table, setting, variable))
            assert config.sources[setting.name] == variable, (setting.name, variable)


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_the_first_variable_wins_over_its_aliases(table: Table, cls: type[Any]) -> None:
    """With every variable of a setting set, the first declared one is read."""
    for setting in table.settings:
        if len(setting.variables) < 2 or setting.name in NOT_FIELDS[table.key]:
            continue
        env: dict[str, str] = {}
        for variable in reversed(setting.variables):
            env.update(_sample(table, setting, variable))
        config = cls.from_env(env)
        assert config.sources[setting.name] == setting.variable


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_integer_bounds_come_from_the_declaration(table: Table, cls: type[Any]) -> None:
    """One past ``high`` is refused by from_env with the variable and the bounds named."""
    for setting in table.settings:
        if setting.kind != "int":
            continue
        assert setting.high is not None
        for variable in setting.variables:
            with pytest.raises(table.error) as caught:
                cls.from_env({variable: str(setting.high + 1)})
            expected = f"{variable} must be between {setting.low} and {setting.high}"
            assert expected in str(caught.value)


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_declared_secrets_are_masked_in_repr_and_describe(table: Table, cls: type[Any]) -> None:
    """A secret setting's value never shows in repr, str or describe()."""
    for setting in table.settings:
        if not setting.secret or setting.name in NOT_FIELDS[table.key]:
            continue
        env = _sample(table, setting, setting.variable)
        secret = env[setting.variable]
        config = cls.from_env(env)
        assert getattr(config, setting.name) == secret
        assert secret not in repr(config) and secret not in str(config)
        assert config.describe()[setting.name] == "'***'"
        assert f"{setting.name}='***'" in repr(config)


def test_bucket_secrets_follow_the_declaration_order() -> None:
    """BucketConfig.secrets() lists the set secrets in declaration order."""
    config = BucketConfig.from_env(
        {"BUCKET_USER": "a", "BUCKET_PASSWORD": "pw-1", "BUCKET_SSE_CUSTOMER_KEY": SSE_C_KEY}
    )
    assert config.secrets() == ("pw-1", SSE_C_KEY)
    assert BUCKET.secrets == ("secret_key", "session_token", "sse_customer_key")


def test_an_empty_value_is_unset_unless_declared_keep_empty() -> None:
    """DB_PASSWORD (keep_empty) set to "" is read; REDIS_PASSWORD="" counts as unset."""
    assert SQLConfig.from_env({"DB_PASSWORD": ""}).sources["password"] == "DB_PASSWORD"
    assert "password" not in RedisConfig.from_env({"REDIS_PASSWORD": ""}).sources
    assert "region" not in BucketConfig.from_env({"BUCKET_REGION": "  "}).sources


def test_redis_variables_win_over_the_url_parts() -> None:
    """REDIS_URL gives defaults, a REDIS_* variable wins, the sources say which."""
    config = RedisConfig.from_env({"REDIS_URL": "redis://h:6380/2", "REDIS_DB": "4"})
    assert (config.host, config.port, config.db) == ("h", 6380, 4)
    assert config.sources["host"] == "REDIS_URL" and config.sources["db"] == "REDIS_DB"
    assert "url" not in config.sources


def test_overrides_must_name_a_field() -> None:
    """An explicit override naming no field (``url`` included) is an unknown setting."""
    with pytest.raises(REDIS.error, match="unknown setting 'url'"):
        RedisConfig.from_env({}, url="redis://h")
    with pytest.raises(SQL.error, match="unknown setting 'nope'"):
        SQLConfig.from_env({}, nope=1)
    assert BucketConfig.from_env({}, host="h", port="9000").endpoint_url == "http://h:9000"


def test_declarations_are_checked() -> None:
    """A setting without variables, an int without bounds, a choice without choices, and a
    table repeating a variable are refused when declared."""
    with pytest.raises(ValueError, match="no variable"):
        Setting("a", (), "doc")
    with pytest.raises(ValueError, match="low and high"):
        Setting("a", ("A",), "doc", kind="int", low=1)
    with pytest.raises(ValueError, match="needs choices"):
        Setting("a", ("A",), "doc", kind="choice")
    with pytest.raises(ValueError, match="repeats"):
        Table("t", (Setting("a", ("A",), "doc"), Setting("b", ("A",), "doc")), ValueError)


def test_parse_by_kind() -> None:
    """Each kind parses text into its type and names the variable when it cannot."""
    table = Table(
        "t",
        (
            Setting("n", ("N",), "doc", kind="int", low=1, high=3),
            Setting("f", ("F",), "doc", kind="float"),
            Setting("b", ("B",), "doc", kind="bool"),
            Setting("c", ("C",), "doc", kind="choice", choices=("x", "y")),
            Setting("p", ("P",), "doc", parser=lambda raw, var: f"{var}:{raw}"),
        ),
        ValueError,
    )
    values, sources = table.read({"N": "2", "F": "1.5", "B": "yes", "C": "Y", "P": " v "})
    parsed = table.parse(values, lambda name: table.var(sources, name))
    assert parsed == {"n": 2, "f": 1.5, "b": True, "c": "y", "p": "P:v"}
    with pytest.raises(ValueError, match="N must be between 1 and 3, not 4"):
        table.parse({"n": "4"}, lambda name: table.var({}, name))


@pytest.mark.parametrize(("table", "cls"), CONFIGS, ids=lambda x: getattr(x, "key", ""))
def test_replace_validates_again_and_marks_the_change_explicit(
    table: Table, cls: type[Any]
) -> None:
    """DeclaredConfig.replace returns a new config, checked again, the change's source
    ``explicit``; a bad value raises the table's error naming the argument (not the word
    ``explicit``)."""
    config = cls.from_env({})
    changed = config.replace(connect_timeout=2.5)
    assert changed.connect_timeout == 2.5 and changed.sources["connect_timeout"] == "explicit"
    assert config.connect_timeout != 2.5
    with pytest.raises(table.error, match="connect_timeout must be a positive number of seconds"):
        config.replace(connect_timeout=0)
    assert str(changed) == repr(changed) and repr(changed).startswith(f"{cls.__name__}(")
