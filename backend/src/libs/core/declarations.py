"""Declared settings: one ``Setting`` per setting, one ``Table`` per config class.

A config module declares each of its settings once (field, variables by precedence,
kind and bounds, default, secret, doc, ``.env.example`` value). From that table follow
reading a mapping (``Table.read``), overrides (``Table.take``) and parsing
(``Table.parse``), each error naming the variable read; the checks of a config built
directly (``Table.check``); masked secrets in ``repr`` and ``describe``; where each
setting came from (``SettingSource``, never the value); and the tables of
``docs/configuration.md`` and ``.env.example`` (``scripts/settings_docs.py``, a repository tool
checked by a test).

Adding a setting: add the dataclass field and its ``Setting``, then run
``python -m scripts.settings_docs --write``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, ClassVar, Literal, Self, TypeVar

from backend.src.libs.core.settings import (
    DEFAULT_ENV_FILE,
    Origin,
    SourceKind,
    first_set,
    mask,
    origin_of,
    parse_bool,
    parse_float,
    parse_int,
    read_environ,
)

Kind = Literal["str", "int", "float", "bool", "choice"]
"""How a text value is parsed: as is, an integer within ``low..high``, positive seconds,
a boolean, or lowercased (checked against ``choices`` by the config)."""

Parser = Callable[[Any, str], object]
"""``parser(raw, variable)``: the field's value, or the config's error naming ``variable``."""

_C = TypeVar("_C")


@dataclass(frozen=True, eq=False)  # compared by identity: cheaper to import
class Setting:
    """One setting of a config class.

    Attributes:
        name: the dataclass field (or, for inputs such as ``BUCKET_HOST`` that build a
            field, a name of its own).
        variables: the variables that set it, highest precedence first (never empty).
        doc: one line for the docs table and ``.env.example``.
        kind: how a value is parsed (default ``"str"``: as given).
        default: the field's default (a test checks it against the dataclass).
        low, high: bounds of an ``"int"`` (both required for that kind).
        choices: the accepted values of a ``"choice"`` (and, for docs, of a parser).
        secret: masked in ``repr``/``describe`` and never shown in messages.
        parser: replaces the kind's parsing (encryption aliases, sizes, CA bundles...).
        form: the accepted values in words, for the docs, when the kind does not say it.
        shown_default: the default in words, when its value does not say it.
        example: the value shown, commented out, on the first variable's line of
            ``.env.example`` (default empty).
        group: the docs table it belongs to (default ``""``: the config's only table).
        keep_empty: an empty value is a value (``DB_PASSWORD``), not "unset".

    Raises:
        ValueError: a declaration without variables, an ``"int"`` without bounds, a
            ``"choice"`` without choices.
    """

    name: str
    variables: tuple[str, ...]
    doc: str
    kind: Kind = "str"
    default: object = None
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    parser: Parser | None = None
    form: str = ""
    shown_default: str = ""
    example: str = ""
    group: str = ""
    keep_empty: bool = False

    def __post_init__(self) -> None:
        if not self.variables:
            raise ValueError(f"setting {self.name!r} declares no variable")
        if self.kind == "int" and (self.low is None or self.high is None):
            raise ValueError(f"integer setting {self.name!r} needs low and high")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice setting {self.name!r} needs choices")

    @property
    def variable(self) -> str:
        """The canonical variable (the first one)."""
        return self.variables[0]

    def read(self, env: Mapping[str, str]) -> tuple[str, str] | None:
        """``(variable, value)`` of the first variable set in ``env``, or None (values
        stripped, blank is unset; with ``keep_empty`` the first present wins as it is)."""
        if not self.keep_empty:
            return first_set(env, self.variables)
        for variable in self.variables:
            if variable in env:
                return variable, env[variable]
        return None

    def parse(self, raw: Any, var: str, error: type[Exception]) -> object:
        """``raw`` (text or an explicit value) as the field's value.

        Raises:
            error: the value does not fit; the message names ``var``.
        """
        if self.parser is not None:
            return self.parser(raw, var)
        if self.kind == "int":
            return self.parse_int(raw, var, error)
        if self.kind == "float":
            return parse_float(raw, var, error)
        if self.kind == "bool":
            return parse_bool(raw, var, error)
        if self.kind == "choice" and isinstance(raw, str):
            return raw.lower()
        return raw

    def parse_int(self, raw: Any, var: str, error: type[Exception]) -> int:
        """``raw`` as an integer within ``low..high`` (an ``"int"`` setting).

        Raises:
            error: not an integer, or out of bounds; the message names ``var``.
            TypeError: the setting declares no bounds.
        """
        return parse_int(raw, var, error, low=_bound(self.low), high=_bound(self.high))


@dataclass(frozen=True)
class SettingSource:
    """Where one setting in force came from; never its value (secrets stay out).

    Attributes:
        setting: the declared name (a field, or an input such as ``host``).
        kind: ``environment`` (the process environment), ``env_file`` (a ``.env``
            file), ``mapping`` (given to ``from_env``), ``explicit``, ``preset`` or
            ``default``.
        variable: the variable read (for a preset, the preset's variable); None for an
            explicit value and the default.
        path: the ``.env`` file's absolute path (kind ``env_file``).
        outranked: the setting's other variables that were set too, lower in precedence
            (or under an explicit value), each with where it was set: the value in force
            hides them (``BUCKET_USER`` in ``.env`` over an exported ``AWS_ACCESS_KEY_ID``).
    """

    setting: str
    kind: SourceKind
    variable: str | None = None
    path: str | None = None
    outranked: tuple[tuple[str, Origin], ...] = ()

    @property
    def origin(self) -> Origin:
        """The source as an ``Origin`` (kind and file)."""
        return Origin(self.kind, self.path)

    def describe(self) -> str:
        """One phrase: ``BUCKET_USER from .env file /srv/app/.env (outranks
        AWS_ACCESS_KEY_ID from process environment)``, ``explicit value``, ``the preset of
        BUCKET_CREATE_PRESET``, ``default``."""
        where = str(self.origin)
        if self.kind == "preset":
            text = f"the preset of {self.variable}"
        else:
            text = f"{self.variable} from {where}" if self.variable else where
        if self.outranked:
            hidden = ", ".join(f"{var} from {origin}" for var, origin in self.outranked)
            text += f" (outranks {hidden})"
        return text

    def as_dict(self) -> dict[str, Any]:
        """For JSON: ``setting``, ``variable``, ``source`` (the kind), ``file`` and
        ``outranked`` (``variable``, ``source``, ``file`` each)."""
        return {
            "setting": self.setting,
            "variable": self.variable,
            "source": self.kind,
            "file": self.path,
            "outranked": [
                {"variable": var, "source": origin.kind, "file": origin.path}
                for var, origin in self.outranked
            ],
        }


class DirectOrigins(dict[str, SettingSource]):
    """The ``origins`` of a config built directly (no ``from_env``): ``provenance``
    counts every field that differs from its default as ``explicit``."""

    __slots__ = ()


Endpoint = tuple[str, int]
"""``(host, port)`` of a server in a list setting (``REDIS_SENTINELS``, ``DB_FAILOVER``)."""


def parse_endpoints(
    raw: Any, var: str, *, default_port: int, error: type[Exception]
) -> tuple[Endpoint, ...]:
    """``host:port,host:port`` (or a sequence of ``(host, port)``) as a tuple of endpoints;
    a missing port is ``default_port``, IPv6 is ``[::1]:6379``, an empty sequence none.

    Raises:
        error: (the peer's config error) an entry has no host, a port that is not
            1-65535, or the list is empty; the message names ``var`` and the entry.
    """
    if not isinstance(raw, str) and not raw:
        return ()
    entries = raw.split(",") if isinstance(raw, str) else list(raw)
    out = [_endpoint(entry, var, default_port=default_port, error=error) for entry in entries]
    if not out:
        raise error(f"{var} must list at least one host:port")
    return tuple(out)


def join_endpoints(endpoints: tuple[Endpoint, ...]) -> str:
    """``host:port,host:port`` (IPv6 hosts in brackets), for messages."""
    return ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in endpoints)


def _endpoint(entry: object, var: str, *, default_port: int, error: type[Exception]) -> Endpoint:
    if isinstance(entry, tuple) and len(entry) == 2:
        host, port_text = str(entry[0]), str(entry[1])
    else:
        text = str(entry).strip()
        host, sep, port_text = text.rpartition(":")
        if not sep or "]" in port_text:
            host, port_text = text, str(default_port)
    host = host.strip().removeprefix("[").removesuffix("]")
    if not host or any(c in host for c in " /\\@"):
        raise error(f"{var} has an entry without a valid host: {str(entry)!r}")
    if not port_text.strip().isdigit() or not 1 <= int(port_text) <= 65535:
        raise error(f"{var} entry {str(entry)!r} needs a port between 1 and 65535 (host:port)")
    return host, int(port_text)


def _bound(value: int | None) -> int:
    if value is None:  # excluded by Setting.__post_init__
        raise TypeError("an integer setting without bounds")
    return value


@dataclass(frozen=True, eq=False)
class Table:
    """The declared settings of one config class, in the order the docs list them.

    Attributes:
        key: short name of the table in the generated docs (``bucket``, ``redis``, ``sql``).
        settings: the declarations (names and variables unique).
        error: the config's error class (a ``ValueError``), raised with the variable named.

    Raises:
        ValueError: two declarations share a name or a variable.
    """

    key: str
    settings: tuple[Setting, ...]
    error: type[Exception]

    def __post_init__(self) -> None:
        names = [s.name for s in self.settings]
        variables = [v for s in self.settings for v in s.variables]
        if len(set(names)) != len(names) or len(set(variables)) != len(variables):
            raise ValueError(f"settings table {self.key!r} repeats a name or a variable")

    @cached_property
    def by_name(self) -> dict[str, Setting]:
        """The declarations by field name."""
        return {s.name: s for s in self.settings}

    def __getitem__(self, name: str) -> Setting:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    @cached_property
    def variables(self) -> dict[str, tuple[str, ...]]:
        """Field name -> the variables that can set it, highest precedence first."""
        return {s.name: s.variables for s in self.settings}

    @cached_property
    def secrets(self) -> tuple[str, ...]:
        """The names of the secret settings, in declaration order."""
        return tuple(s.name for s in self.settings if s.secret)

    @cached_property
    def groups(self) -> tuple[str, ...]:
        """The docs groups, in the order they first appear."""
        return tuple(dict.fromkeys(s.group for s in self.settings))

    def var(self, sources: Mapping[str, str], name: str) -> str:
        """The variable to name in a message about ``name``: the one that set it (the
        argument ``name`` itself for an explicit value), or the canonical one (the field
        name for a field without a declaration)."""
        found = sources.get(name)
        if found:
            return name if found == "explicit" else found
        setting = self.by_name.get(name)
        return setting.variable if setting is not None else name

    def read(self, env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """``(values, sources)``: the raw value and the variable of each setting set in
        ``env`` (see ``Setting.read``)."""
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for setting in self.settings:
            found = setting.read(env)
            if found is not None:
                sources[setting.name], values[setting.name] = found
        return values, sources

    def origins(
        self, env: Mapping[str, str], sources: Mapping[str, str]
    ) -> dict[str, SettingSource]:
        """Where each setting of ``sources`` (name -> variable, or ``"explicit"``) came
        from in ``env``, with the setting's other variables set there that it outranks."""
        out: dict[str, SettingSource] = {}
        for name, variable in sources.items():
            setting = self.by_name.get(name)
            others = () if setting is None else setting.variables
            if variable == "explicit":
                hidden = tuple(v for v in others if _is_set(env, v, setting))
                out[name] = SettingSource(name, "explicit", outranked=_where(env, hidden))
                continue
            below = others[others.index(variable) + 1 :] if variable in others else ()
            hidden = tuple(v for v in below if _is_set(env, v, setting))
            origin = origin_of(env, variable)
            out[name] = SettingSource(
                name, origin.kind, variable, origin.path, outranked=_where(env, hidden)
            )
        return out

    def provenance(self, origins: Mapping[str, SettingSource]) -> tuple[SettingSource, ...]:
        """One ``SettingSource`` per declared setting, in declaration order: the recorded
        one, else ``default``."""
        return tuple(origins.get(s.name) or SettingSource(s.name, "default") for s in self.settings)

    def take(
        self,
        values: dict[str, Any],
        sources: dict[str, str],
        overrides: Mapping[str, Any],
        known: Collection[str] | None = None,
    ) -> None:
        """Put the explicit ``overrides`` over ``values`` (source ``"explicit"``); None
        values are skipped.

        Args:
            known: the names an override may use (default: the declared settings).

        Raises:
            error: an override names none of ``known`` (``unknown setting 'name'``).
        """
        allowed = self.by_name if known is None else known
        for name, value in overrides.items():
            if name not in allowed:
                raise self.error(f"unknown setting {name!r}")
            if value is not None:
                values[name] = value
                sources[name] = "explicit"

    def parse(self, values: Mapping[str, Any], var: Callable[[str], str]) -> dict[str, Any]:
        """Each value parsed by its declaration (others as they are), in the order given.

        Raises:
            error: a value does not fit; the message names ``var(name)``.
        """
        out: dict[str, Any] = {}
        for name, raw in values.items():
            setting = self.by_name.get(name)
            out[name] = raw if setting is None else setting.parse(raw, var(name), self.error)
        return out

    def build(self, cls: Callable[..., _C], kwargs: Mapping[str, Any]) -> _C:
        """``cls(**kwargs)``; a wrong type given explicitly becomes ``error``.

        Raises:
            error: ``invalid setting: ...`` for a ``TypeError``, or the config's own.
        """
        try:
            return cls(**kwargs)
        except self.error:
            raise
        except TypeError as exc:
            raise self.error(f"invalid setting: {exc}") from exc

    def check(self, config: Any, var: Callable[[str], str], *kinds: Kind) -> None:
        """Type and bounds checks of a built config for the settings of ``kinds``: ints
        within ``low..high``, positive seconds, booleans (kinds in the order given).

        Raises:
            error: a field does not fit; the message names ``var(name)``.
        """
        for kind in kinds:
            for setting in self.settings:
                if setting.kind == kind:
                    _check_one(setting, getattr(config, setting.name), var, self.error)

    def describe(self, config: Any) -> dict[str, Any]:
        """The config's fields as a dict (``sources`` left out), secrets masked."""
        return {
            f.name: mask(value) if f.name in self.secrets else value for f, value in _fields(config)
        }

    def masked_repr(self, config: Any) -> str:
        """``Name(field=value, ...)`` with the secrets masked (``sources`` left out)."""
        parts = (
            f"{f.name}={mask(value) if f.name in self.secrets else repr(value)}"
            for f, value in _fields(config)
        )
        return f"{type(config).__name__}({', '.join(parts)})"

    def secret_values(self, config: Any) -> tuple[str, ...]:
        """The secret values ``config`` holds (set ones only), in declaration order."""
        values = (getattr(config, name, None) for name in self.secrets)
        return tuple(v for v in values if v)


_RECORDS = frozenset({"sources", "origins"})
"""The fields that record where settings came from, not settings themselves."""


def _fields(config: Any) -> list[tuple[dataclasses.Field[Any], Any]]:
    return [
        (f, getattr(config, f.name)) for f in dataclasses.fields(config) if f.name not in _RECORDS
    ]


def _is_set(env: Mapping[str, str], variable: str, setting: Setting | None) -> bool:
    raw = env.get(variable)
    if raw is None:
        return False
    return (setting is not None and setting.keep_empty) or raw.strip() != ""


def _where(env: Mapping[str, str], variables: tuple[str, ...]) -> tuple[tuple[str, Origin], ...]:
    return tuple((v, origin_of(env, v)) for v in variables)


def _check_one(
    setting: Setting, value: Any, var: Callable[[str], str], error: type[Exception]
) -> None:
    if setting.kind == "int":
        low, high = _bound(setting.low), _bound(setting.high)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise error(
                f"{var(setting.name)} must be an integer between {low} and {high}, not {value!r}"
            )
    elif setting.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise error(f"{var(setting.name)} must be a positive number of seconds, not {value!r}")
    elif setting.kind == "bool" and not isinstance(value, bool):
        raise error(f"{var(setting.name)} must be true or false, not {value!r}")


class DeclaredConfig:
    """Base of a frozen config dataclass whose settings are declared in a ``Table``.

    The subclass sets ``_settings``, declares ``sources`` and ``origins`` fields and
    implements ``_validate``; it gets ``from_env``, ``replace``, ``describe`` and a
    masking ``repr``. Hooks: ``_read`` (what the mapping gives), ``_from_env`` (the build).
    """

    _settings: ClassVar[Table]
    sources: Mapping[str, str]
    origins: Mapping[str, SettingSource]

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        """Check the fields of a built config (the subclass's own rules)."""

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE,
        **overrides: Any,
    ) -> Self:
        """Read the settings from a mapping.

        Args:
            environ: the variables to read. Default: ``os.environ`` over the values of
                ``env_file`` (the process environment wins). When a mapping is given,
                only that mapping is read.
            env_file: the ``.env`` file read when ``environ`` is None. Default: ``.env``
                in the working directory, skipped when missing; a file named here must
                exist; None skips it.
            **overrides: explicit field values; they win over every variable.

        Raises:
            ConfigError, RedisConfigError, SQLConfigError (the table's ``error``): a
                value is invalid or an override unknown (the message names the
                variable), or a named ``env_file`` does not exist (the message names it).
        """
        return cls._from_env(read_environ(environ, env_file, error=cls._settings.error), overrides)

    @classmethod
    def _from_env(cls, env: Mapping[str, str], overrides: Mapping[str, Any]) -> Self:
        table = cls._settings
        values, sources = cls._read(env)
        table.take(values, sources, overrides, known=cls._overridable())
        kwargs = table.parse(values, partial(table.var, sources))
        kwargs["sources"] = dict(sources)
        # every declared setting read (an input such as REDIS_URL too), then the fields
        kwargs["origins"] = table.origins(env, {**table.read(env)[1], **sources})
        return table.build(cls, kwargs)

    @classmethod
    def _read(cls, env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """``(values, sources)`` that ``env`` gives (default: ``Table.read``)."""
        return cls._settings.read(env)

    @classmethod
    def _overridable(cls) -> frozenset[str]:
        """The names ``from_env(**overrides)`` accepts: the fields but ``sources`` and
        ``origins``."""
        return frozenset(f.name for f in dataclasses.fields(cls)) - _RECORDS  # type: ignore[arg-type]

    def _var(self, name: str) -> str:
        return self._settings.var(self.sources, name)

    def _name(self, name: str) -> str:
        """The variable that set ``name`` (the canonical one when given explicitly)."""
        found = self.sources.get(name)
        return found if found and found != "explicit" else self._settings[name].variable

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied (validated again; their source ``explicit``)."""
        sources = dict(self.sources)
        sources.update({name: "explicit" for name in changes})
        origins = type(self.origins)(self.origins) if isinstance(self.origins, dict) else {}
        origins.update({name: SettingSource(name, "explicit") for name in changes})
        return dataclasses.replace(self, sources=sources, origins=origins, **changes)  # type: ignore[type-var]

    def provenance(self) -> tuple[SettingSource, ...]:
        """Where each declared setting came from, in declaration order; never a value
        (``doctor`` and ``health --json``). A field of a config built directly that
        differs from its default is ``explicit``."""
        origins = dict(self.origins)
        if isinstance(self.origins, DirectOrigins):
            for f, value in _fields(self):
                setting = self._settings.by_name.get(f.name)
                if setting is not None and value != setting.default:
                    origins.setdefault(f.name, SettingSource(f.name, "explicit"))
        return self._settings.provenance(origins)

    def describe(self) -> dict[str, Any]:
        """The settings as a dict for logs and ``doctor``; secrets masked."""
        return self._settings.describe(self)

    def __repr__(self) -> str:
        return self._settings.masked_repr(self)

    __str__ = __repr__


__all__ = [
    "DeclaredConfig",
    "DirectOrigins",
    "Kind",
    "Parser",
    "Setting",
    "SettingSource",
    "Table",
    "join_endpoints",
    "parse_endpoints",
]
