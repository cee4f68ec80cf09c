"""Small helpers shared by the config modules: read a mapping, parse values.

Every parser raises the caller's error class with a message naming the variable, never
a secret value. ``read_environ`` records where each variable came from
(``Environ.origins``), so a config can say which source set each setting.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class DefaultEnvFile(str):
    """The ``.env`` read when the caller names no file (``DEFAULT_ENV_FILE``): unlike a
    file the caller names, it may be missing."""

    __slots__ = ()


DEFAULT_ENV_FILE = DefaultEnvFile(".env")
"""The default ``env_file`` of ``read_environ`` and ``from_env``: ``.env`` in the working
directory, read when present, skipped when missing."""


SourceKind = Literal["environment", "env_file", "mapping", "explicit", "preset", "default"]
"""Where a setting's value came from (``explicit``: ``from_env(field=...)``, ``replace``
or the constructor; ``preset``: ``BUCKET_CREATE_PRESET``)."""

_KIND_WORDS: dict[str, str] = {
    "environment": "process environment",
    "env_file": ".env file",
    "mapping": "mapping given to from_env",
    "explicit": "explicit value",
    "preset": "preset",
    "default": "default",
}


@dataclass(frozen=True)
class Origin:
    """Where one variable was read: ``kind`` (``environment``, ``env_file`` or
    ``mapping``) and, for a ``.env`` file, its absolute ``path``."""

    kind: SourceKind
    path: str | None = None

    def __str__(self) -> str:
        words = _KIND_WORDS[self.kind]
        return f"{words} {self.path}" if self.path else words


ENVIRONMENT = Origin("environment")
MAPPING = Origin("mapping")


class Environ(dict[str, str]):
    """The variables to read (a plain ``dict``) and where each came from.

    Attributes:
        origins: variable -> its ``Origin``; a variable not listed came from a mapping
            given by the caller (``MAPPING``).
    """

    __slots__ = ("origins",)

    def __init__(
        self, values: Mapping[str, str] | None = None, origins: Mapping[str, Origin] | None = None
    ) -> None:
        super().__init__(values or {})
        self.origins: dict[str, Origin] = dict(origins or {})

    def origin(self, variable: str) -> Origin:
        """Where ``variable`` came from (``MAPPING`` when not recorded)."""
        return self.origins.get(variable, MAPPING)


def origin_of(env: Mapping[str, str], variable: str) -> Origin:
    """Where ``variable`` of ``env`` came from: recorded by ``read_environ`` (an
    ``Environ``), else ``MAPPING``."""
    return env.origin(variable) if isinstance(env, Environ) else MAPPING


def read_env_file(path: str | os.PathLike[str]) -> Environ:
    """The variables of the ``.env`` file ``path`` alone (python-dotenv), each recorded
    as read from that file. A missing file gives no variable."""
    from dotenv import dotenv_values

    file = Path(path)
    if not file.is_file():
        return Environ()
    values = {k: v for k, v in dotenv_values(file).items() if v is not None}
    where = Origin("env_file", str(file.absolute()))
    return Environ(values, dict.fromkeys(values, where))


def read_environ(
    environ: Mapping[str, str] | None,
    env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE,
    *,
    error: type[Exception] = ValueError,
) -> Environ:
    """The variables to read: ``environ`` as given, or ``os.environ`` over ``env_file``,
    with where each came from (``Environ.origins``).

    Args:
        environ: a mapping to read instead of the process environment (tests).
        env_file: read when ``environ`` is None. Default ``DEFAULT_ENV_FILE`` (``.env``,
            skipped when missing); a file named by the caller must exist; None skips it.
        error: the config's error class.

    Raises:
        error: ``env_file`` was named, and is not an existing file (the message names it).
    """
    if environ is not None:
        if isinstance(environ, Environ):
            return Environ(environ, environ.origins)
        return Environ(environ)
    merged = Environ()
    if env_file is not None:
        path = Path(env_file)
        if path.is_file():
            merged = read_env_file(path)
        elif not isinstance(env_file, DefaultEnvFile):
            what = "is not a file" if path.exists() else "does not exist"
            raise error(f"settings file {os.fspath(env_file)!r} {what}")
    merged.update(os.environ)
    merged.origins.update(dict.fromkeys(os.environ, ENVIRONMENT))
    return merged


def first_set(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """``(variable, value)`` of the first of ``names`` set to a non-blank value."""
    for name in names:
        raw = env.get(name)
        if raw is not None and raw.strip() != "":
            return name, raw.strip()
    return None


def parse_int(raw: Any, var: str, error: type[Exception], *, low: int, high: int) -> int:
    """``raw`` as an integer in ``low..high``; ``error`` naming ``var`` otherwise."""
    if isinstance(raw, bool):
        raise error(f"{var} must be an integer, not {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise error(f"{var} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise error(f"{var} must be between {low} and {high}, not {value}")
    return value


def parse_float(raw: Any, var: str, error: type[Exception]) -> float:
    """``raw`` as a positive, finite number of seconds; ``error`` naming ``var`` otherwise."""
    try:
        value = math.nan if isinstance(raw, bool) else float(str(raw).strip())
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:  # NaN too
        raise error(f"{var} must be a positive number of seconds, not {raw!r}")
    return value


def parse_bool(raw: Any, var: str, error: type[Exception]) -> bool:
    """``raw`` as a boolean (1/0, true/false, yes/no, on/off)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise error(f"{var} must be true or false, not {raw!r}")


def mask(value: object) -> str:
    """``'***'`` for a set secret, ``None`` otherwise (for reprs and logs)."""
    return "None" if value is None else "'***'"


__all__ = [
    "DEFAULT_ENV_FILE",
    "ENVIRONMENT",
    "MAPPING",
    "DefaultEnvFile",
    "Environ",
    "Origin",
    "SourceKind",
    "first_set",
    "mask",
    "parse_bool",
    "parse_float",
    "origin_of",
    "parse_int",
    "read_env_file",
    "read_environ",
]
