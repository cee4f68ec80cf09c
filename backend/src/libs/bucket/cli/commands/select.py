"""Which objects a command works on: wildcards in a source path (``s3://b/docs/*.txt``)
and the ``--exclude`` / ``--include`` filters of ``cp -r``, ``mv -r`` and ``rm -r``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase

from backend.src.libs.bucket.cli.parsing import Remote, folder, split_glob
from backend.src.libs.bucket.store import ObjectInfo, ObjectStore

Filters = Sequence[tuple[str, str]]
"""``("exclude" | "include", pattern)`` in the order given on the command line."""


def included(relative: str, filters: Filters | None) -> bool:
    """Whether ``relative`` (a path relative to the source) passes the filters: everything
    is in until a filter matches; the last filter that matches decides (aws semantics)."""
    keep = True
    for kind, pattern in filters or ():
        if fnmatchcase(relative, pattern):
            keep = kind == "include"
    return keep


def matching_objects(
    store: ObjectStore, remote: Remote, *, recursive: bool, filters: Filters | None = None
) -> Iterator[tuple[ObjectInfo, str]]:
    """The objects a source path names, each with its path relative to the source.

    ``s3://b/dir/`` with ``recursive``: every key under ``dir/``. A key with wildcards:
    the keys in its folder whose remainder matches (with ``recursive``, in every
    sub-folder too, ``*`` then crossing ``/``). ``filters`` apply to the relative path.
    """
    base, pattern = split_glob(remote.key)
    if pattern is None:
        base = folder(remote.key)
    delimiter = None if recursive else "/"
    for entry in store.list_objects(remote.bucket, prefix=base, delimiter=delimiter):
        if not isinstance(entry, ObjectInfo):
            continue
        relative = entry.key[len(base) :]
        if pattern is not None and not fnmatchcase(relative, pattern):
            continue
        if included(relative, filters):
            yield entry, relative
