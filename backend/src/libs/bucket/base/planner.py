"""The destructive-work planner: every delete, move and overwrite that the library or the
``bucket`` command plans is checked here, against the caller's scope, before the first
request.

A ``Scope`` is where a caller may destroy: a bucket, a prefix taken as a folder (``"site"``
means ``site/``, never ``site-other/``), and optionally the literal keys named. The keys
a plan holds are the keys a store is given (a store scoped by ``BUCKET_PREFIX`` adds its
prefix beneath; its own ``delete_bucket(force=True)`` plans with the prefix as the scope,
over its full keys). Three rules, each refused before anything is sent:

- **Nothing outside the scope**: a key outside it raises ``OutOfScope`` (an
  ``InvalidArgument``) for the whole plan, so a bug in a listing or a pattern can never
  reach a key the caller did not name.
- **Nothing deleted that is proven present**: ``plan_deletes`` takes a ``keep`` rule (the
  source of a sync could not read the object, say); such keys stay, with their reason.
- **A move keeps every byte**: ``plan_moves`` refuses a destination inside its own
  source, two sources landing on one key, and a destination that is another move's
  source; ``move_verified`` deletes a source only after its copy is read back and found
  equal (size, and the ETag where the two are comparable).

Keys are taken literally here: nothing in this module reads a key as a pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from backend.src.libs.bucket.base.errors import IntegrityError, InvalidArgument
from backend.src.libs.bucket.base.store import DeleteResult, ObjectInfo, ObjectStore, UploadResult


class OutOfScope(InvalidArgument):
    """A destructive plan named a key outside the caller's scope; nothing was sent."""

    default_code = "OutOfScope"


def as_folder(prefix: str) -> str:
    """``prefix`` as a folder: ``""`` stays ``""`` (the whole bucket), ``"a"`` and
    ``"a/"`` both become ``"a/"``."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


@dataclass(frozen=True)
class Scope:
    """Where a destructive operation may act.

    Attributes:
        bucket: the bucket.
        prefix: the folder the keys must lie in (default ``""``: the whole bucket);
            stored as a folder (``"a"`` -> ``"a/"``).
        keys: the literal keys named (default None: any key in the folder).
    """

    bucket: str
    prefix: str = ""
    keys: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", as_folder(self.prefix))

    def holds(self, key: str) -> bool:
        """True when ``key`` lies in this scope."""
        if not key.startswith(self.prefix):
            return False
        return self.keys is None or key in self.keys

    def contains(self, other: Scope) -> bool:
        """True when every key ``other`` may hold lies in this scope (same bucket, a
        folder inside this one; literal keys checked one by one)."""
        if other.bucket != self.bucket:
            return False
        if other.keys is not None:
            return all(self.holds(key) for key in other.keys)
        return self.keys is None and other.prefix.startswith(self.prefix)

    def describe(self) -> str:
        """``bucket/prefix`` (and the number of keys named), for messages."""
        named = f" ({len(self.keys)} key(s) named)" if self.keys is not None else ""
        return f"{self.bucket}/{self.prefix}{named}"

    def refuse_outside(self, keys: Iterable[str], *, operation: str) -> None:
        """Raise for the first key outside this scope.

        Raises:
            OutOfScope: naming the operation, the key and the scope; nothing was sent.
        """
        for key in keys:
            if not self.holds(key):
                raise OutOfScope(
                    f"{operation}: refusing {key!r}, outside {self.describe()}; "
                    "nothing was deleted",
                    bucket=self.bucket,
                    key=key,
                )


KeepRule = Callable[[str], str | None]
"""Why a key must stay (a reason), or None when it may go."""


@dataclass(frozen=True)
class DeletePlan:
    """Keys to delete, all in ``scope``, each once, and the keys kept with their reason.

    Build one with ``plan_deletes``; send it with ``delete_planned``.
    """

    scope: Scope
    keys: tuple[str, ...]
    kept: tuple[tuple[str, str], ...] = field(default=())


def plan_deletes(
    scope: Scope, keys: Iterable[str], *, operation: str, keep: KeepRule | None = None
) -> DeletePlan:
    """Read ``keys`` whole and check each against ``scope`` before anything is sent.

    Args:
        scope: where the caller may delete.
        keys: the keys to delete (read once, up front; duplicates dropped, order kept).
        operation: the caller's name for the work, in messages (``rm``, ``sync``...).
        keep: a rule naming why a key must stay (default: none stays).

    Raises:
        OutOfScope: a key lies outside ``scope`` (the whole plan is refused).
    """
    unique = tuple(dict.fromkeys(keys))
    scope.refuse_outside(unique, operation=operation)
    if keep is None:
        return DeletePlan(scope, unique)
    going: list[str] = []
    kept: list[tuple[str, str]] = []
    for key in unique:
        reason = keep(key)
        if reason is None:
            going.append(key)
        else:
            kept.append((key, reason))
    return DeletePlan(scope, tuple(going), tuple(kept))


def delete_planned(store: ObjectStore, plan: DeletePlan) -> DeleteResult:
    """Send ``plan``'s deletes (``store.delete_objects``, 1000 keys a request).

    Returns:
        The store's ``DeleteResult`` (per-key failures reported, not raised).

    Raises:
        OutOfScope: the plan was built by hand with a key outside its scope.
        StorageError: the store failed as a whole.
    """
    plan.scope.refuse_outside(plan.keys, operation="delete")
    if not plan.keys:
        return DeleteResult(deleted=(), errors=())
    return store.delete_objects(plan.scope.bucket, plan.keys)


@dataclass(frozen=True)
class Move:
    """One object to move: ``source`` key to ``destination`` key."""

    source: str
    destination: str


@dataclass(frozen=True)
class MovePlan:
    """Moves checked by ``plan_moves``: sources in ``source``, destinations in
    ``destination``, no destination another move's source, no two on one key."""

    source: Scope
    destination: Scope
    moves: tuple[Move, ...]


def plan_moves(
    source: Scope,
    destination: Scope,
    moves: Iterable[Move],
    *,
    operation: str = "mv",
    keep_sources: bool = False,
) -> MovePlan:
    """Check a set of moves (or copies) before the first one.

    Args:
        source: where the objects are taken from (a folder, or literal keys).
        destination: where they go.
        moves: the moves (read once, up front).
        operation: the caller's name for the work, in messages (default ``mv``).
        keep_sources: copies, not moves (default False): a destination folder inside
            the source folder is then allowed (every key was listed before the first
            copy); the other rules hold, since a copy onto another copy's source would
            overwrite what that copy still has to read.

    Raises:
        OutOfScope: a source or destination key outside its scope.
        InvalidArgument: (code ``UnsafeMove``) the destination folder lies inside the
            source folder in one bucket (moves only), two sources land on one key, a
            destination is another move's source, or a move is onto itself. Nothing
            was sent.
    """
    listed = tuple(moves)
    source.refuse_outside((m.source for m in listed), operation=operation)
    destination.refuse_outside((m.destination for m in listed), operation=operation)
    nested = source.keys is None and source.contains(destination)
    if nested and listed and not keep_sources:
        _unsafe(
            operation,
            f"the destination {destination.describe()} lies inside the source "
            f"{source.describe()}: each object moved would be moved again",
            source.bucket,
        )
    _refuse_overlaps(listed, same_bucket=source.bucket == destination.bucket, op=operation)
    return MovePlan(source, destination, listed)


def _refuse_overlaps(moves: tuple[Move, ...], *, same_bucket: bool, op: str) -> None:
    seen: dict[str, str] = {}
    for move in moves:
        first = seen.setdefault(move.destination, move.source)
        if first != move.source:
            _unsafe(op, f"{first!r} and {move.source!r} would both land on {move.destination!r}")
    if not same_bucket:
        return
    sources = {m.source for m in moves}
    for move in moves:
        if move.destination == move.source:
            _unsafe(op, f"{move.source!r} would be moved onto itself")
        if move.destination in sources:
            _unsafe(
                op,
                f"{move.source!r} would land on {move.destination!r}, which is itself moved: "
                "one of them would be lost",
            )


def _unsafe(operation: str, why: str, bucket: str | None = None) -> None:
    raise InvalidArgument(
        f"{operation}: refusing: {why}; nothing was copied or deleted",
        code="UnsafeMove",
        bucket=bucket,
    )


def _comparable(etag: str | None) -> bool:
    """An ETag that says what the bytes are wherever they were written: a plain MD5 (a
    multipart ETag, ``...-N``, depends on the part size; an encrypted object's is not
    an MD5 of the bytes)."""
    return etag is not None and len(etag) == 32 and "-" not in etag


def verify_copy(
    source: ObjectInfo, written: ObjectInfo, result: UploadResult | None = None
) -> None:
    """Check that ``written`` (the destination, read back) holds ``source``'s bytes: the
    same size, and the same ETag when both are plain MD5s; when they are not comparable,
    the ETag the copy reported (``result``) when there is one.

    Raises:
        IntegrityError: they differ (the caller keeps the source).
    """
    problem = None
    if written.size != source.size:
        problem = f"{written.size} bytes where the source has {source.size}"
    elif _comparable(source.etag) and _comparable(written.etag):
        if source.etag != written.etag:
            problem = f"ETag {written.etag} where the source has {source.etag}"
    elif result is not None and result.etag and written.etag and result.etag != written.etag:
        problem = f"ETag {written.etag} where the copy made {result.etag}"
    if problem is not None:
        raise IntegrityError(
            f"the copy at {written.bucket}/{written.key} does not match its source "
            f"{source.bucket}/{source.key} ({problem}); the source is kept",
            bucket=written.bucket,
            key=written.key,
        )


def move_verified(
    store: ObjectStore, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str
) -> UploadResult:
    """Move one object: copy it, read the copy back, compare it with the source
    (``verify_copy``), and only then delete the source.

    Raises:
        InvalidArgument: source and destination are the same object.
        IntegrityError: the copy does not match its source (the source is kept).
        StorageError: the copy, the check or the delete failed (the source is kept
            unless the delete itself was the step that failed).
    """
    if (src_bucket, src_key) == (dst_bucket, dst_key):
        raise InvalidArgument(
            "move_object: source and destination are the same object",
            bucket=src_bucket,
            key=src_key,
        )
    before = store.head_object(src_bucket, src_key)
    result = store.copy_object(src_bucket, src_key, dst_bucket, dst_key)
    verify_copy(before, store.head_object(dst_bucket, dst_key), result)
    store.delete_object(src_bucket, src_key)
    return result


__all__ = [
    "DeletePlan",
    "KeepRule",
    "Move",
    "MovePlan",
    "OutOfScope",
    "Scope",
    "as_folder",
    "delete_planned",
    "move_verified",
    "plan_deletes",
    "plan_moves",
    "verify_copy",
]
