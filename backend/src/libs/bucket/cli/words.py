"""The library's words, said as the command line's. The library's messages name its API
(``pass overwrite=True``, ``storage_class must be one of ...``, ``upload_file with tags is
not supported by LocalStore``); a user of ``bucket`` typed ``--overwrite``,
``--storage-class``, ``--tagging``. ``cli_words`` rewrites a library message once, here,
for every line the CLI prints from a library error (``app.run``, the per-object lines of
``cp``, ``mv`` and several sources).

Only the option names of the API are rewritten, where a message uses them as names: at
its start (``storage_class must be ...``), after ``pass``/``use`` (``use force=True``), and
in the ``<operation> with <options> is not supported by <Store>`` refusal of an option a
store does not take. Keys, paths and prose are left as they are.
"""

from __future__ import annotations

import re

from backend.src.libs.bucket.base.errors import StorageError

FLAGS = {
    "cache_control": "--cache-control",
    "content_disposition": "--content-disposition",
    "content_encoding": "--content-encoding",
    "content_type": "--content-type",
    "metadata": "--metadata",
    "storage_class": "--storage-class",
    "sse": "--sse",
    "tags": "--tagging",
    "expiration": "--expires-in",
    "overwrite": "--overwrite",
    "force": "--force",
    "part_size": "--expected-size",
}
"""The library's option names and the flags that set them."""

STORES = {"LocalStore": "the local folder store", "S3Store": "this S3 store"}

_NAMES = "|".join(sorted(FLAGS, key=len, reverse=True))
_LEADING = re.compile(rf"^({_NAMES})\b(?!=)")
_PASS = re.compile(rf"\b(?:pass|use) ({_NAMES})=True\b")
_REFUSED = re.compile(
    r"^\w+ with (?P<names>\w+(?:, \w+)*) is not supported by (?P<store>\w+)(?P<rest>.*)$"
)


def describe(exc: StorageError) -> str:
    """``str(exc)`` (``Code: message [bucket/key]``) with its message in the CLI's words."""
    return str(exc).replace(exc.message, cli_words(exc.message), 1)


def _flag(name: str) -> str:
    return FLAGS.get(name, name)


def cli_words(message: str) -> str:
    """``message`` with the library's option names said as the CLI's flags:
    ``pass overwrite=True`` -> ``add --overwrite``, ``storage_class must be`` ->
    ``--storage-class must be``, ``upload_file with tags is not supported by
    LocalStore`` -> ``--tagging is not supported by the local folder store``."""
    refused = _REFUSED.match(message)
    if refused is not None:
        names = [_flag(n) for n in refused["names"].split(", ")]
        store = STORES.get(refused["store"], refused["store"])
        verb = "is" if len(names) == 1 else "are"
        return f"{', '.join(names)} {verb} not supported by {store}{refused['rest']}"
    message = _PASS.sub(lambda m: f"add {_flag(m[1])}", message)
    return _LEADING.sub(lambda m: _flag(m[1]), message)
