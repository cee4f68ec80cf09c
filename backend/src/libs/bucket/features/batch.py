"""Many-object operations on any ``ObjectStore``: put, get, delete, directory transfers.

Each function runs its items on a thread pool sharing the store's one client (the S3
store sizes its connection pool to ``max_workers``), returns one ``ItemResult`` per
input item **in input order**, and reports a failed item in its result instead of
stopping the batch. Only an invalid argument of the call itself (bucket name, worker
count) raises.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from backend.src.libs.bucket.base.capabilities import Configured
from backend.src.libs.bucket.base.errors import InvalidArgument, StorageError
from backend.src.libs.bucket.base.files import deferred_renames, writable_target, write_atomically
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.planner import (
    DeletePlan,
    Scope,
    as_folder,
    delete_planned,
    plan_deletes,
)
from backend.src.libs.bucket.base.store import (
    Data,
    DeleteError,
    DeleteResult,
    ObjectInfo,
    ObjectStore,
    UploadResult,
)
from backend.src.libs.bucket.base.validation import check_bucket_name, check_keys

DELETE_BATCH = 1000
WHOLE_GET = 64 * 1024
"""Objects of at most this many bytes (by their listed size) a folder download reads with
one ``get_object`` (on S3 one plain GET: no range, no ranged-download machinery) and
writes through ``files.write_atomically``; larger ones go through ``download_file``."""

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class ItemResult(Generic[T]):
    """The outcome of one item of a batch: its key, and its value or its error."""

    key: str
    value: T | None = None
    error: StorageError | None = None

    @property
    def ok(self) -> bool:
        """True when the item succeeded."""
        return self.error is None


def _workers(store: ObjectStore, max_workers: int | None) -> int:
    if max_workers is None:
        return store.config.max_workers if isinstance(store, Configured) else 8
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise InvalidArgument(f"max_workers must be a positive integer, not {max_workers!r}")
    return max_workers


def run_each(
    items: Iterable[V], key_of: Callable[[V], str], work: Callable[[V], T], *, workers: int
) -> list[ItemResult[T]]:
    """``work(item)`` for every item on ``workers`` threads (each in a copy of the
    caller's context); one result per item, in input order, a ``StorageError`` (or any
    other exception, wrapped) kept in its result instead of stopping the others."""

    def one(item: V) -> ItemResult[T]:
        key = key_of(item)
        try:
            return ItemResult(key=key, value=work(item))
        except StorageError as exc:
            return ItemResult(key=key, error=exc)
        except Exception as exc:  # a bug must not sink the other items
            return ItemResult(key=key, error=StorageError(f"{exc!r}", code=type(exc).__name__))

    materialised = list(items)
    if workers == 1 or len(materialised) <= 1:
        return [one(item) for item in materialised]
    from concurrent.futures import ThreadPoolExecutor  # imported on use: keeps imports cheap

    with ThreadPoolExecutor(max_workers=min(workers, len(materialised))) as pool:
        # each item runs in a copy of the caller's context (``files.deferred_renames``)
        futures = [pool.submit(contextvars.copy_context().run, one, item) for item in materialised]
        return [future.result() for future in futures]


def put_many(
    store: ObjectStore,
    bucket: str,
    items: Mapping[str, Data] | Iterable[tuple[str, Data]],
    *,
    max_workers: int | None = None,
    content_type: str | None = None,
) -> list[ItemResult[UploadResult]]:
    """Store many objects in parallel.

    Args:
        items: ``{key: data}`` or ``(key, data)`` pairs; data as for ``put_object``.
        max_workers: threads (default: the store's ``max_workers``, 8).
        content_type: for every item (default: guessed from each key).

    Returns:
        One result per item, in input order.
    """
    check_bucket_name(bucket)
    options = WriteOptions(content_type=content_type)
    return run_each(
        items.items() if isinstance(items, Mapping) else items,
        lambda pair: pair[0],
        lambda pair: store.put_object(bucket, pair[0], pair[1], options=options),
        workers=_workers(store, max_workers),
    )


def get_many(
    store: ObjectStore, bucket: str, keys: Iterable[str], *, max_workers: int | None = None
) -> list[ItemResult[bytes]]:
    """Read many objects in parallel; one result per key, in input order."""
    check_bucket_name(bucket)
    return run_each(
        keys,
        lambda key: key,
        lambda key: store.get_object(bucket, key),
        workers=_workers(store, max_workers),
    )


def delete_many(
    store: ObjectStore, bucket: str, keys: Iterable[str], *, max_workers: int | None = None
) -> list[ItemResult[None]]:
    """Delete many objects: batches of 1000 keys (``delete_objects``), the batches in
    parallel; one result per key, in input order.
    """
    check_bucket_name(bucket)
    ordered = list(keys)
    scope = Scope(bucket, keys=frozenset(ordered))
    planned = plan_deletes(scope, ordered, operation="delete_many").keys
    chunks = [planned[i : i + DELETE_BATCH] for i in range(0, len(planned), DELETE_BATCH)]
    outcomes: dict[str, StorageError | None] = {}
    results = run_each(
        chunks,
        lambda chunk: chunk[0],
        lambda chunk: delete_planned(store, DeletePlan(scope, chunk)),
        workers=_workers(store, max_workers),
    )
    for chunk, outcome in zip(chunks, results, strict=True):
        if outcome.value is None:  # the whole batch failed: every key of it carries why
            for key in chunk:
                outcomes.setdefault(key, outcome.error)
            continue
        for failure in outcome.value.errors:
            outcomes[failure.key] = StorageError(
                failure.message, code=failure.code, bucket=bucket, key=failure.key
            )
        for key in outcome.value.deleted:
            outcomes.setdefault(key, None)
    return [ItemResult(key=key, error=outcomes.get(key)) for key in ordered]


def delete_keys(store: ObjectStore, bucket: str, keys: Iterable[str]) -> DeleteResult:
    """Delete many keys, 1000 a request, every key checked before the first request.

    A batch the server refuses as a whole stops the call; after an earlier batch was
    deleted, the keys of the refused batch and of those not sent are in ``errors`` with
    the refusal's code.

    Args:
        keys: literal keys, the plan's scope (any iterable but a single ``str``; read
            once, up front; a key named twice is deleted once).

    Returns:
        ``DeleteResult``: keys deleted (missing keys count as deleted) and, for the
        others, why not.

    Raises:
        InvalidArgument: the bucket name, ``keys`` or one of its keys is invalid, the
            store's ``BUCKET_PORTABLE_KEYS`` rule included (the message names the key's
            position; nothing was deleted).
        StorageError: the first batch failed as a whole (nothing was deleted).
    """
    check_bucket_name(bucket)
    portable = isinstance(store, Configured) and store.config.portable_keys
    named = check_keys(keys, bucket=bucket, portable=portable)
    plan = plan_deletes(Scope(bucket, keys=frozenset(named)), named, operation="delete_files")
    ordered = plan.keys
    deleted: list[str] = []
    errors: list[DeleteError] = []
    for start in range(0, len(ordered), DELETE_BATCH):
        chunk = ordered[start : start + DELETE_BATCH]
        try:
            outcome = delete_planned(store, DeletePlan(plan.scope, chunk))
        except StorageError as exc:
            if start == 0:
                raise
            errors.extend(
                DeleteError(key=key, code=exc.code, message=f"not deleted: {exc.message}")
                for key in ordered[start:]
            )
            break
        deleted.extend(outcome.deleted)
        errors.extend(outcome.errors)
    return DeleteResult(deleted=tuple(deleted), errors=tuple(errors))


def upload_directory(
    store: ObjectStore,
    bucket: str,
    directory: str | os.PathLike[str],
    *,
    prefix: str = "",
    max_workers: int | None = None,
) -> list[ItemResult[UploadResult]]:
    """Upload every regular file under ``directory`` to ``prefix + relative/path``.

    Returns:
        One result per file, in sorted path order.

    Raises:
        InvalidArgument: ``directory`` is not a folder.
    """
    check_bucket_name(bucket)
    root = Path(directory)
    if not root.is_dir():
        raise InvalidArgument(f"directory {str(root)!r} is not a folder")
    files = sorted(p for p in root.rglob("*") if p.is_file())

    def key_of(path: Path) -> str:
        return prefix + path.relative_to(root).as_posix()

    return run_each(
        files,
        key_of,
        lambda path: store.upload_file(bucket, key_of(path), str(path)),
        workers=_workers(store, max_workers),
    )


def download_directory(
    store: ObjectStore,
    bucket: str,
    directory: str | os.PathLike[str],
    *,
    prefix: str = "",
    max_workers: int | None = None,
) -> list[ItemResult[int]]:
    """Download every object under the folder ``prefix`` into ``directory`` (folders
    created): the facade's ``download_directory`` and the CLI's ``cp -r``.

    - ``prefix`` is a folder: ``"site"`` downloads ``site/...``, never ``site-other/``
      (default ``""``: the whole bucket).
    - A key is written at ``directory / key[len(prefix):]``; one that could not land on
      a path of its own (``local_targets``) is a failed item (``InvalidArgument``),
      nothing written or created for it.
    - A folder marker (a key ending in ``/``) becomes a folder (0 bytes), never a file;
      the marker of ``prefix`` itself is ``directory``.

    Returns:
        One result per object (bytes written, 0 for a folder marker), in key order.

    Raises:
        InvalidArgument: the bucket name or ``max_workers`` is invalid.
    """
    check_bucket_name(bucket)
    prefix = as_folder(prefix)
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    listed = [
        entry
        for entry in store.list_objects(bucket, prefix=prefix)
        if isinstance(entry, ObjectInfo)
    ]
    targets = local_targets(root, ((info.key, info.key[len(prefix) :]) for info in listed))
    sizes = {info.key: info.size for info in listed}
    return download_to(store, bucket, targets, sizes=sizes, max_workers=max_workers)


def download_to(
    store: ObjectStore,
    bucket: str,
    targets: Mapping[str, Path | InvalidArgument],
    *,
    mtimes: Mapping[str, int] | None = None,
    sizes: Mapping[str, int] | None = None,
    max_workers: int | None = None,
) -> list[ItemResult[int]]:
    """Download each key to its path (``local_targets``' answer), folders created, each
    file whole or not at all, and every file durable on disk when this returns.

    The files are made durable together (``files.deferred_renames``): temporaries, one
    ``syncfs`` per thousand files (or 256 MiB), then renames; a crash leaves each target
    whole (old or new) and at worst a ``.part`` temporary (``bucket gc``).

    Args:
        targets: ``{key: path}``, or ``{key: InvalidArgument}`` for a key refused (a
            failed item, nothing written). A key ending in ``/`` (a folder marker)
            makes a folder (0 bytes).
        mtimes: ``{key: nanoseconds since the epoch}``: the modification time given to
            a key's file (default: none, the time of writing).
        sizes: ``{key: listed size}``: a key of at most ``WHOLE_GET`` bytes is read with
            one ``get_object`` (default: none, every key through ``download_file``).
        max_workers: threads (default: the store's ``max_workers``, 8).

    Returns:
        One result per key (bytes written), in the order of ``targets``.
    """
    stamps, small = mtimes or {}, sizes or {}
    with deferred_renames() as deferred:

        def fetch(key: str) -> int:
            target = targets[key]
            if isinstance(target, InvalidArgument):
                raise target
            if key.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                return 0
            target.parent.mkdir(parents=True, exist_ok=True)
            if key in stamps:
                deferred.stamp(target, stamps[key])
            if small.get(key, WHOLE_GET + 1) <= WHOLE_GET:
                return _get_whole(store, bucket, key, target)
            return store.download_file(bucket, key, str(target))

        results = run_each(targets, lambda key: key, fetch, workers=_workers(store, max_workers))
    return [_committed(item, targets[item.key], deferred.failures) for item in results]


def _get_whole(store: ObjectStore, bucket: str, key: str, target: Path) -> int:
    """A small object read with one ``get_object`` and written whole to ``target``
    (``InvalidArgument`` when it cannot be written, as ``download_file``)."""
    writable_target(target)
    data = store.get_object(bucket, key)
    write_atomically(target, [data])
    return len(data)


def _committed(
    item: ItemResult[int], target: Path | InvalidArgument, failures: Mapping[Path, OSError]
) -> ItemResult[int]:
    """``item``, failed when its file could not be flushed or renamed into place."""
    if item.error is not None or isinstance(target, InvalidArgument) or target not in failures:
        return item
    exc = failures[target]
    return ItemResult(
        key=item.key,
        error=StorageError(
            f"could not put {str(target)!r} in place: {exc.strerror or exc}", code="WriteFailed"
        ),
    )


def local_targets(
    root: Path, items: Iterable[tuple[str, str]]
) -> dict[str, Path | InvalidArgument]:
    """Where each key lands under the resolved ``root``, or why it may not land anywhere.

    Args:
        root: the resolved folder downloaded into.
        items: ``(key, relative)`` pairs: the key, and its path below ``root``.

    Returns:
        ``{key: path}``, or ``{key: InvalidArgument}`` for a key refused because its
        relative path holds a ``.``, ``..`` or empty segment (``a/../b``, ``a//b``
        would land on the file of another key), lands outside ``root``, or lands on the
        same path as another key (every key of such a group is refused: which one won
        would depend on which transfer finished last).
    """
    targets: dict[str, Path | InvalidArgument] = {}
    owners: dict[Path, list[str]] = {}
    for key, relative in items:
        try:
            target = folder_target(root, relative, key=key)
        except InvalidArgument as exc:
            targets[key] = exc
            continue
        targets[key] = target
        owners.setdefault(target, []).append(key)
    for target, keys in owners.items():
        if len(keys) > 1:
            for key in keys:
                others = ", ".join(repr(k) for k in keys if k != key)
                targets[key] = InvalidArgument(
                    f"key {key!r} would land on {str(target)!r} with {others}; not downloaded",
                    key=key,
                )
    return targets


def folder_target(root: Path, relative: str, *, key: str) -> Path:
    """Where ``relative`` (a key without its prefix) lands under the resolved ``root``.

    Raises:
        InvalidArgument: ``relative`` holds a ``.``, ``..`` or empty segment (a
            folder marker's final ``/`` aside), or resolves outside ``root`` (or to
            ``root`` itself for a key that is not a folder marker); names the key.
    """
    target = (root / relative).resolve()
    inside = root in target.parents or (target == root and key.endswith("/"))
    if not inside:
        raise InvalidArgument(
            f"key {key!r} would be written outside {str(root)!r}; not downloaded", key=key
        )
    segments = relative.split("/")
    if key.endswith("/") and relative:
        segments.pop()
    if relative and any(segment in ("", ".", "..") for segment in segments):
        raise InvalidArgument(
            f"key {key!r} has a '.', '..' or empty path segment: it could land on another "
            "key's file; not downloaded",
            key=key,
        )
    return target
