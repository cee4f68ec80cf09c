"""Evidence bundles and attachments on the real S3 server and on LocalStore."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.src.libs.bucket import (
    AlreadyExists,
    Conflict,
    IntegrityError,
    InvalidArgument,
    NotSupported,
    ObjectNotFound,
)
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.features.bundles import (
    BundleStore,
    EvidenceBundle,
    bundle_key,
    canonical_json,
)
from tests.conftest import StoreCase

pytestmark = pytest.mark.integration


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


JAN_31 = datetime(2025, 1, 31, 23, 59, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(JAN_31)


@pytest.fixture
def bundles(any_store: StoreCase, clock: FakeClock) -> BundleStore:
    return BundleStore(any_store.store, any_store.bucket, clock=clock)


# ---------------------------------------------------------------- the bundle
def test_checksum_is_sha256_of_canonical_json() -> None:
    """The checksum is SHA-256 of sorted-key, compact, UTF-8 JSON of the content fields."""
    b = EvidenceBundle.create(
        "audit", {"b": [1, 2], "a": "é"}, id="x1", metadata={"m": "1"}, clock=lambda: JAN_31
    )
    expected = json.dumps(
        {
            "id": "x1",
            "type": "audit",
            "created_at": "2025-01-31T23:59:30.000000Z",
            "version": 1,
            "data": {"a": "é", "b": [1, 2]},
            "metadata": {"m": "1"},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    assert canonical_json(b.content()) == expected
    assert b.checksum == hashlib.sha256(expected).hexdigest()
    assert EvidenceBundle.from_json(b.to_json()) == b


def test_bundle_is_immutable() -> None:
    """A bundle is frozen and its data is a read-only deep copy of what was given."""
    source = {"nested": {"k": [1]}}
    b = EvidenceBundle.create("audit", source, clock=lambda: JAN_31)
    source["nested"]["k"].append(2)
    assert b.data["nested"]["k"] == (1,)
    with pytest.raises(TypeError):
        b.data["nested"]["k2"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        b.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "a/b"),
        ("type", ".."),
        ("type", "_index"),
        ("type", "x\ny"),
        ("id", "../x"),
        ("id", "a\\b"),
        ("id", ""),
        ("id", "a..b"),
    ],
)
def test_invalid_type_and_id_refused(field: str, value: str) -> None:
    """Types and ids with '/', '..', '\\', control characters, or a leading '_' raise InvalidArgument."""
    kwargs = {"id": "ok", "type": "ok", field: value}
    with pytest.raises(InvalidArgument):
        EvidenceBundle(id=kwargs["id"], type=kwargs["type"], created_at=JAN_31, data={})


def test_naive_dates_and_non_json_refused() -> None:
    """A naive created_at and non-JSON data (NaN, objects) raise InvalidArgument."""
    with pytest.raises(InvalidArgument):
        EvidenceBundle(id="a", type="t", created_at=datetime(2025, 1, 1), data={})
    with pytest.raises(InvalidArgument):
        EvidenceBundle(id="a", type="t", created_at=JAN_31, data={"x": float("nan")})
    with pytest.raises(InvalidArgument):
        EvidenceBundle(id="a", type="t", created_at=JAN_31, data={"x": object()})


# ------------------------------------------------------------------ storing
def test_store_and_get(any_store: StoreCase, bundles: BundleStore) -> None:
    """put stores the canonical JSON at evidence/{type}/{YYYY}/{MM}/{id}.json; get returns an equal bundle."""
    b = EvidenceBundle.create(
        "audit",
        {"event": "login", "n": 3},
        id="ev-1",
        metadata={"source": "web"},
        clock=lambda: JAN_31,
    )
    bundles.put(b)
    key = "evidence/audit/2025/01/ev-1.json"
    assert bundles.key_of("ev-1") == key == bundle_key("audit", JAN_31, "ev-1")
    assert any_store.store.get_object(any_store.bucket, key) == b.to_json()
    assert any_store.store.head_object(any_store.bucket, key).content_type == "application/json"
    got = bundles.get("ev-1")
    assert got == b
    assert (got.checksum, dict(got.data), dict(got.metadata)) == (
        b.checksum,
        {"event": "login", "n": 3},
        {"source": "web"},
    )
    assert bundles.exists("ev-1") and not bundles.exists("ev-2")


def test_write_once_and_overwrite(
    any_store: StoreCase, bundles: BundleStore, clock: FakeClock
) -> None:
    """A second put of the same id raises AlreadyExists (a Conflict); overwrite=True replaces it."""
    first = EvidenceBundle.create("audit", {"v": 1}, id="once", clock=clock)
    bundles.put(first)
    second = EvidenceBundle.create(
        "audit", {"v": 2}, id="once", version=2, clock=lambda: JAN_31 + timedelta(days=40)
    )
    with pytest.raises(AlreadyExists) as err:
        bundles.put(second)
    assert isinstance(err.value, Conflict)
    assert bundles.get("once") == first
    bundles.put(second, overwrite=True)
    assert bundles.get("once") == second
    # the copy under the old month is gone: one bundle with this id
    assert [i.key for i in bundles.list()] == ["evidence/audit/2025/03/once.json"]


def test_get_after_month_changes(bundles: BundleStore, clock: FakeClock) -> None:
    """A bundle stored on Jan 31 is found by id after the clock moves to February (and next year)."""
    stored = bundles.create("audit", {"x": 1}, id="late-jan")
    clock.now = datetime(2025, 2, 1, 0, 0, 5, tzinfo=UTC)
    assert bundles.get("late-jan") == stored
    assert bundles.key_of("late-jan") == "evidence/audit/2025/01/late-jan.json"
    clock.now = datetime(2026, 7, 1, tzinfo=UTC)
    assert bundles.get("late-jan") == stored


def test_checksum_tamper_raises(any_store: StoreCase, bundles: BundleStore) -> None:
    """A stored bundle whose data was changed raises IntegrityError on get, never a warning."""
    b = bundles.create("audit", {"amount": 100}, id="tamper")
    key = bundles.key_of("tamper")
    doc = json.loads(any_store.store.get_object(any_store.bucket, key))
    doc["data"]["amount"] = 1_000_000
    any_store.store.put_object(any_store.bucket, key, json.dumps(doc).encode())
    with pytest.raises(IntegrityError):
        bundles.get("tamper")
    any_store.store.put_object(any_store.bucket, key, b"{not json")
    with pytest.raises(IntegrityError):
        bundles.get("tamper")
    # a valid bundle with another checksum than the pointer recorded
    other = EvidenceBundle.create("audit", {"amount": 1}, id="tamper", clock=lambda: b.created_at)
    any_store.store.put_object(any_store.bucket, key, other.to_json())
    with pytest.raises(IntegrityError):
        bundles.get("tamper")


def test_get_missing(bundles: BundleStore) -> None:
    """get, delete and key_of of an unknown id raise ObjectNotFound."""
    with pytest.raises(ObjectNotFound):
        bundles.get("nobody")
    with pytest.raises(ObjectNotFound):
        bundles.delete("nobody")
    with pytest.raises(ObjectNotFound):
        bundles.key_of("nobody")


def test_list_by_type_year_month(bundles: BundleStore) -> None:
    """list filters by type, year and month, yields BundleInfo in key order, skips pointers."""
    dates = {
        "a1": ("audit", datetime(2024, 12, 5, tzinfo=UTC)),
        "a2": ("audit", datetime(2025, 1, 2, tzinfo=UTC)),
        "a3": ("audit", datetime(2025, 2, 2, tzinfo=UTC)),
        "c1": ("consent", datetime(2025, 1, 9, tzinfo=UTC)),
    }
    for bid, (btype, when) in dates.items():
        bundles.put(EvidenceBundle(id=bid, type=btype, created_at=when, data={"id": bid}))
    listing = bundles.list()
    assert not isinstance(listing, list)
    assert [i.id for i in listing] == ["a1", "a2", "a3", "c1"]
    assert [i.id for i in bundles.list("audit")] == ["a1", "a2", "a3"]
    assert [i.id for i in bundles.list("audit", year=2025)] == ["a2", "a3"]
    assert [i.id for i in bundles.list("audit", year=2025, month=1)] == ["a2"]
    assert [i.id for i in bundles.list(year=2025, month=1)] == ["a2", "c1"]
    assert [i.id for i in bundles.list(month=12)] == ["a1"]
    assert [i.id for i in bundles.list("nothing")] == []
    info = next(bundles.list("consent"))
    assert (info.type, info.year, info.month, info.key) == (
        "consent",
        2025,
        1,
        "evidence/consent/2025/01/c1.json",
    )
    assert info.size > 0
    with pytest.raises(InvalidArgument):
        bundles.list(month=13)
    with pytest.raises(InvalidArgument):
        bundles.list("a/b")


def test_delete_bundle(any_store: StoreCase, bundles: BundleStore) -> None:
    """delete removes the bundle and its pointer; the id can then be stored again."""
    bundles.create("audit", {"x": 1}, id="gone")
    bundles.delete("gone")
    assert not bundles.exists("gone")
    assert [e.key for e in any_store.store.list_objects(any_store.bucket)] == []  # type: ignore[union-attr]
    bundles.create("audit", {"x": 2}, id="gone")
    assert bundles.get("gone").data["x"] == 2


def test_presign(any_store: StoreCase, bundles: BundleStore) -> None:
    """presign_url delegates to the store; LocalStore (or a store without it) raises NotSupported."""
    bundles.create("audit", {"x": 1}, id="p1")
    if not hasattr(any_store.store, "presign_url"):
        with pytest.raises(NotSupported):
            bundles.presign_url("p1")
    elif any_store.kind == "local":
        with pytest.raises(NotSupported):
            bundles.presign_url("p1", expiration=60)
    else:
        url = bundles.presign_url("p1", expiration=60)
        assert "p1.json" in url and "Signature" in url
    with pytest.raises(ObjectNotFound):
        bundles.presign_url("missing")


# ---------------------------------------------------------------- attachments
def test_attachments_put_get_list_delete(
    any_store: StoreCase, bundles: BundleStore, clock: FakeClock
) -> None:
    """Attachments live at attachments/{YYYY}/{MM}/{id}/{name} with content type, metadata and SHA-256."""
    a = bundles.put_attachment("ev-9", "scan.pdf", b"%PDF-1.7", metadata={"Page-Count": "1"})
    assert a.key == "attachments/2025/01/ev-9/scan.pdf"
    assert (a.size, a.content_type) == (8, "application/pdf")
    assert a.metadata == {"page-count": "1", "sha256": hashlib.sha256(b"%PDF-1.7").hexdigest()}
    clock.now = datetime(2025, 2, 3, tzinfo=UTC)  # month changes: same folder for this id
    b = bundles.put_attachment("ev-9", "notes.txt", "hé", content_type="text/plain; charset=utf-8")
    assert b.key == "attachments/2025/01/ev-9/notes.txt"
    assert bundles.get_attachment("ev-9", "scan.pdf") == b"%PDF-1.7"
    assert bundles.get_attachment("ev-9", "notes.txt") == "hé".encode()
    head = bundles.head_attachment("ev-9", "notes.txt")
    assert head.content_type == "text/plain; charset=utf-8"
    assert [x.name for x in bundles.list_attachments("ev-9")] == ["notes.txt", "scan.pdf"]
    assert list(bundles.list_attachments("other")) == []
    with pytest.raises(AlreadyExists):
        bundles.put_attachment("ev-9", "scan.pdf", b"again")
    bundles.put_attachment("ev-9", "scan.pdf", b"again", overwrite=True)
    assert bundles.get_attachment("ev-9", "scan.pdf") == b"again"
    bundles.delete_attachment("ev-9", "notes.txt")
    assert [x.name for x in bundles.list_attachments("ev-9")] == ["scan.pdf"]
    assert bundles.delete_attachments("ev-9") == 1
    assert list(bundles.list_attachments("ev-9")) == []
    assert [e.key for e in any_store.store.list_objects(any_store.bucket)] == []  # type: ignore[union-attr]
    with pytest.raises(ObjectNotFound):
        bundles.get_attachment("ev-9", "scan.pdf")


def test_attachment_tamper_raises(any_store: StoreCase, bundles: BundleStore) -> None:
    """An attachment whose bytes no longer match its SHA-256 raises IntegrityError."""
    a = bundles.put_attachment("ev-t", "data.bin", b"original")
    meta = dict(a.metadata)
    any_store.store.put_object(
        any_store.bucket,
        a.key,
        b"modified",
        options=WriteOptions(metadata=meta),
    )
    with pytest.raises(IntegrityError):
        bundles.get_attachment("ev-t", "data.bin")


@pytest.mark.parametrize("name", ["a/b", "..", "x..y", "tab\tname", ".hidden", "", "a\\b"])
def test_invalid_attachment_names_refused(bundles: BundleStore, name: str) -> None:
    """Attachment names with '/', '..', '\\', control characters or a leading '.' raise InvalidArgument."""
    with pytest.raises(InvalidArgument):
        bundles.put_attachment("ev-1", name, b"x")


def test_delete_with_attachments(any_store: StoreCase, bundles: BundleStore) -> None:
    """delete(id, attachments=True) removes the bundle, its pointer and its attachments."""
    bundles.create("audit", {"x": 1}, id="full")
    bundles.put_attachment("full", "a.txt", b"a")
    bundles.delete("full", attachments=True)
    assert [e.key for e in any_store.store.list_objects(any_store.bucket)] == []  # type: ignore[union-attr]


def test_write_once_across_writers(any_store: StoreCase) -> None:
    """Two BundleStores (as two processes: no shared lock) race to store one id with
    different data 8 times: each time exactly one wins, and get() returns the winner's."""
    import threading

    from backend.src.libs.bucket.features.bundles import BundleStore, EvidenceBundle

    for round_no in range(8):
        bundle_id = f"race-{round_no}"
        outcomes: dict[str, object] = {}
        barrier = threading.Barrier(2)

        def store(
            name: str,
            bundle_id: str = bundle_id,
            barrier: threading.Barrier = barrier,
            outcomes: dict[str, object] = outcomes,
        ) -> None:
            writer = BundleStore(any_store.store, any_store.bucket)
            bundle = EvidenceBundle.create("audit", {"writer": name}, id=bundle_id)
            barrier.wait()
            try:
                writer.put(bundle)
                outcomes[name] = "won"
            except AlreadyExists:
                outcomes[name] = "lost"

        threads = [threading.Thread(target=store, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["lost", "won"], outcomes
        winner = next(n for n, o in outcomes.items() if o == "won")
        assert BundleStore(any_store.store, any_store.bucket).get(bundle_id).data == {
            "writer": winner
        }


def _bundle_object_alone(case: StoreCase, bundle: EvidenceBundle) -> None:
    """Store ``bundle``'s object as ``BundleStore.put`` does, without its pointer."""
    case.store.put_object(
        case.bucket,
        bundle_key(bundle.type, bundle.created_at, bundle.id),
        bundle.to_json(),
        options=WriteOptions(metadata={"sha256": bundle.checksum}),
    )


def test_orphan_of_a_dead_writer_is_adopted(any_store: StoreCase) -> None:
    """A bundle object left without its pointer (writer died) is adopted by storing the same
    bundle again; a different bundle under that id and month is refused."""
    bundles = BundleStore(any_store.store, any_store.bucket)
    bundle = EvidenceBundle.create("audit", {"n": 1}, id="orphan-1")
    _bundle_object_alone(any_store, bundle)  # the dead writer's half
    with pytest.raises(ObjectNotFound):
        bundles.get("orphan-1")
    other = EvidenceBundle.create("audit", {"n": 2}, id="orphan-1", clock=lambda: bundle.created_at)
    with pytest.raises(AlreadyExists):
        bundles.put(other)
    bundles.put(bundle)
    assert bundles.get("orphan-1").data == {"n": 1}


class _PointerRace:
    """A store on which ``first`` is stored whole just before the first pointer write."""

    def __init__(self, inner: Any, first: Callable[[], object]) -> None:
        self._inner, self._first = inner, first

    @property
    def options_supported(self) -> Any:
        return self._inner.options_supported

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put_object(self, bucket: str, key: str, data: Any, **kwargs: Any) -> Any:
        if key.startswith("evidence/_index/") and self._first is not None:
            first, self._first = self._first, None
            first()
        return self._inner.put_object(bucket, key, data, **kwargs)


def test_an_adopted_object_whose_writer_was_only_slow_is_kept(any_store: StoreCase) -> None:
    """A writer adopts the bundle object of a slower writer storing the same bundle (its
    pointer not written yet), then loses the pointer to it: AlreadyExists, and the object
    the winner's pointer names is left in place (get() returns the bundle)."""
    bundle = EvidenceBundle.create("audit", {"n": 1}, id="adopted-1")
    _bundle_object_alone(any_store, bundle)  # the slow writer's, its pointer still to come
    slow = BundleStore(any_store.store, any_store.bucket)
    racing = _PointerRace(any_store.store, lambda: slow.put(bundle))
    with pytest.raises(AlreadyExists):
        BundleStore(racing, any_store.bucket).put(bundle)
    assert slow.get("adopted-1") == bundle


# ------------------------------------------------------------ issue 15 items 4, 9, 20
def _another_store(case: StoreCase) -> Any:
    """A second store on the same place, as another process would have: no lock, no state
    shared with ``case.store``."""
    return type(case.store)(case.store.config)  # type: ignore[call-arg, attr-defined]


def _race(*writers: Callable[[], object]) -> list[str]:
    """Run the writers at once; each outcome is "won" or "lost" (AlreadyExists)."""
    barrier = threading.Barrier(len(writers))
    outcomes: list[str] = ["?"] * len(writers)

    def run(i: int) -> None:
        barrier.wait()
        try:
            writers[i]()
            outcomes[i] = "won"
        except AlreadyExists:
            outcomes[i] = "lost"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_attachment_write_once_across_writers(any_store: StoreCase) -> None:
    """Two writers with no shared lock (two stores, as two processes) store the same
    attachment with different bytes, 12 rounds: each time exactly one wins and
    get_attachment returns the winner's bytes."""
    other = _another_store(any_store)
    try:
        for round_no in range(12):
            bundle_id = f"att-race-{round_no}"
            bodies = [f"writer-a-{round_no}".encode(), f"writer-b-{round_no}".encode()]
            writers = [BundleStore(store, any_store.bucket) for store in (any_store.store, other)]
            outcomes = _race(
                *(
                    functools.partial(w.put_attachment, bundle_id, "doc.txt", body)
                    for w, body in zip(writers, bodies, strict=True)
                )
            )
            assert sorted(outcomes) == ["lost", "won"], (round_no, outcomes)
            winner = bodies[outcomes.index("won")]
            assert (
                BundleStore(any_store.store, any_store.bucket).get_attachment(bundle_id, "doc.txt")
                == winner
            )
    finally:
        other.close()


def _attachment_writer(
    kind: str, config: Any, bucket: str, writer: str, rounds: int, barrier: Any, results: Any
) -> None:
    """One process of ``test_attachment_write_once_across_processes``: its own store."""
    from backend.src.libs.bucket.local.store import LocalStore
    from backend.src.libs.bucket.s3.store import S3Store

    store = S3Store(config) if kind == "s3" else LocalStore(config)
    bundles = BundleStore(store, bucket)
    for round_no in range(rounds):
        barrier.wait(timeout=60)
        try:
            bundles.put_attachment(f"proc-{round_no}", "doc.txt", f"{writer}-{round_no}".encode())
            results.put((round_no, writer, "won"))
        except AlreadyExists:
            results.put((round_no, writer, "lost"))
        except Exception as exc:  # reported, so the test shows it
            results.put((round_no, writer, repr(exc)))
    store.close()


def test_attachment_write_once_across_processes(any_store: StoreCase) -> None:
    """Two processes store the same attachment with different bytes, 12 rounds: exactly
    one wins each round, and the stored bytes are the winner's."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    config = any_store.store.config  # type: ignore[attr-defined]
    procs = [
        ctx.Process(
            target=_attachment_writer,
            args=(any_store.kind, config, any_store.bucket, name, 12, barrier, results),
        )
        for name in ("a", "b")
    ]
    for p in procs:
        p.start()
    outcomes: dict[int, dict[str, str]] = {}
    for _ in range(24):
        round_no, writer, outcome = results.get(timeout=120)
        outcomes.setdefault(round_no, {})[writer] = outcome
    for p in procs:
        p.join(timeout=60)
    reader = BundleStore(any_store.store, any_store.bucket)
    for round_no, by_writer in sorted(outcomes.items()):
        assert sorted(by_writer.values()) == ["lost", "won"], (round_no, by_writer)
        winner = next(w for w, o in by_writer.items() if o == "won")
        assert (
            reader.get_attachment(f"proc-{round_no}", "doc.txt") == f"{winner}-{round_no}".encode()
        )


def test_first_attachments_of_an_id_share_one_folder(any_store: StoreCase) -> None:
    """Two writers storing the first attachments of one id at once, with clocks on both
    sides of a month change: one folder pointer is created, both attachments land in
    that folder and are listed."""
    other = _another_store(any_store)
    try:
        for round_no in range(6):
            bundle_id = f"folder-race-{round_no}"
            jan = BundleStore(any_store.store, any_store.bucket, clock=lambda: JAN_31)
            feb = BundleStore(
                other, any_store.bucket, clock=lambda: datetime(2025, 2, 1, tzinfo=UTC)
            )
            outcomes = _race(
                functools.partial(jan.put_attachment, bundle_id, "a.txt", b"a"),
                functools.partial(feb.put_attachment, bundle_id, "b.txt", b"b"),
            )
            assert outcomes == ["won", "won"]
            reader = BundleStore(any_store.store, any_store.bucket)
            listed = list(reader.list_attachments(bundle_id))
            assert [a.name for a in listed] == ["a.txt", "b.txt"], round_no
            assert len({a.key.rsplit("/", 1)[0] for a in listed}) == 1
            assert reader.get_attachment(bundle_id, "b.txt") == b"b"
    finally:
        other.close()


def test_attachment_without_checksum_is_integrity_error(
    any_store: StoreCase, bundles: BundleStore
) -> None:
    """An attachment overwritten without its sha256 metadata (forged bytes, metadata
    dropped or other metadata only) raises IntegrityError instead of returning them."""
    a = bundles.put_attachment("ev-f", "data.bin", b"original", metadata={"origin": "scanner"})
    any_store.store.put_object(any_store.bucket, a.key, b"forged")
    with pytest.raises(IntegrityError, match="sha256"):
        bundles.get_attachment("ev-f", "data.bin")
    any_store.store.put_object(
        any_store.bucket,
        a.key,
        b"forged",
        options=WriteOptions(metadata={"origin": "scanner"}),
    )
    with pytest.raises(IntegrityError, match="sha256"):
        bundles.get_attachment("ev-f", "data.bin")
    # an empty checksum is no checksum
    any_store.store.put_object(
        any_store.bucket,
        a.key,
        b"forged",
        options=WriteOptions(metadata={"sha256": ""}),
    )
    with pytest.raises(IntegrityError):
        bundles.get_attachment("ev-f", "data.bin")


def test_attachment_overwrite_still_allowed_when_asked(bundles: BundleStore) -> None:
    """Write-once refuses a second put of a name with AlreadyExists naming overwrite;
    overwrite=True replaces the bytes and their checksum, and reads verify again."""
    bundles.put_attachment("ev-o", "x.txt", b"one")
    with pytest.raises(AlreadyExists, match="overwrite"):
        bundles.put_attachment("ev-o", "x.txt", b"two")
    assert bundles.get_attachment("ev-o", "x.txt") == b"one"
    bundles.put_attachment("ev-o", "x.txt", b"two", overwrite=True)
    assert bundles.get_attachment("ev-o", "x.txt") == b"two"


def test_create_with_empty_id_is_refused(any_store: StoreCase, bundles: BundleStore) -> None:
    """id="" is an invalid id (InvalidArgument), never replaced by a random one; only
    id=None (the default) draws a random id. Nothing is stored."""
    with pytest.raises(InvalidArgument, match="id"):
        EvidenceBundle.create("audit", {"x": 1}, id="", clock=lambda: JAN_31)
    with pytest.raises(InvalidArgument, match="id"):
        bundles.create("audit", {"x": 1}, id="")
    assert [e.key for e in any_store.store.list_objects(any_store.bucket)] == []  # type: ignore[union-attr]
    assert len(EvidenceBundle.create("audit", {}, clock=lambda: JAN_31).id) == 32
