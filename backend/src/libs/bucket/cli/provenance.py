"""Where the settings in force came from, for ``doctor`` (its ``settings`` line and
``--json``) and ``health --json``: for each setting the variable read and its source
(the process environment, which ``.env`` file, a command-line option, a preset, or the
default), from ``BucketConfig.provenance()``. Never a value: a secret's source is shown,
not the secret.

The one trap it warns about: a variable read from a ``.env`` file that outranks another
variable of the same setting exported in the process environment (a ``BUCKET_USER``
copied into ``.env`` hides the ``AWS_ACCESS_KEY_ID`` the user exported), since the
variables' order decides before the source does (``docs/configuration.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.src.libs.bucket.base.config import BucketConfig
    from backend.src.libs.bucket.cli.doctor_checks import Findings
    from backend.src.libs.core.declarations import SettingSource

OPTIONS = {
    "endpoint_url": "--endpoint",
    "profile": "--profile",
    "region": "--region",
    "storage_type": "--storage",
    "local_root": "--local-root",
}
"""The global options that set a field explicitly (``Context.config_for``)."""


def settings_json(config: BucketConfig) -> list[dict[str, Any]]:
    """Every declared setting with its variable, source and file (``SettingSource.as_dict``),
    in declaration order; an explicit value names the command-line option that gave it."""
    out = []
    for source in config.provenance():
        entry = source.as_dict()
        if source.kind == "explicit" and source.setting in OPTIONS:
            entry["option"] = OPTIONS[source.setting]
        out.append(entry)
    return out


def hidden_exports(config: BucketConfig) -> list[SettingSource]:
    """The settings read from a ``.env`` file over a variable of the same setting set in
    the process environment."""
    return [
        s
        for s in config.provenance()
        if s.kind == "env_file" and any(o.kind == "environment" for _, o in s.outranked)
    ]


def summary(config: BucketConfig) -> str:
    """The settings in force grouped by source, one phrase:
    ``process environment: AWS_REGION, S3_BUCKET_NAME; .env file /srv/.env: BUCKET_HOST;
    every other setting at its default``."""
    groups: dict[str, list[str]] = {}
    defaults = 0
    for s in config.provenance():
        if s.kind == "default":
            defaults += 1
            continue
        if s.kind == "explicit":
            where, name = "explicit", OPTIONS.get(s.setting, s.setting)
        elif s.kind == "preset":
            where, name = f"the preset of {s.variable}", s.setting
        else:
            where, name = str(s.origin), s.variable or s.setting
        names = groups.setdefault(where, [])
        if name not in names:
            names.append(name)
    parts = [f"{where}: {', '.join(names)}" for where, names in groups.items()]
    if defaults:
        parts.append(
            "every other setting at its default" if parts else "every setting at its default"
        )
    return "; ".join(parts)


def check_settings(f: Findings) -> None:
    """The ``settings`` line of ``doctor``: where the settings in force came from (``ok``),
    or ``warn`` when a ``.env`` file's variable outranks one the process environment
    exports, naming both and the file."""
    config = f.config
    hidden = hidden_exports(config)
    if not hidden:
        f.ok("settings", summary(config))
        return
    trap = "; ".join(
        f"{s.variable} from {s.path} outranks the exported "
        f"{', '.join(v for v, o in s.outranked if o.kind == 'environment')} ({s.setting})"
        for s in hidden
    )
    fixes = "; ".join(f"remove {s.variable} from {s.path}, or export {s.variable}" for s in hidden)
    f.warn("settings", f"{trap}; read: {summary(config)}", fixes)


__all__ = ["OPTIONS", "check_settings", "hidden_exports", "settings_json", "summary"]
