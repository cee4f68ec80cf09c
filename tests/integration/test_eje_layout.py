"""Evidence bundles written by the EJE system, read as they lie (issue 11 part 3).

Every EJE document here is written the way EJE wrote it: plain ``put_object`` calls, JSON
with a 2-space indent, EJE's key ``evidence/{evidence_type}/{YYYY}/{MM}/{decision_id}.json``
and EJE's object metadata; no pointer object. Then our ``BundleStore`` reads, verifies,
finds by id, lists and presigns them, on Ceph RGW and SeaweedFS.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from backend.src.libs.bucket import AlreadyExists, IntegrityError, InvalidArgument, ObjectNotFound
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore
from backend.src.libs.bucket.features.bundles import BundleStore, EvidenceBundle, eje_checksum
from tests.conftest import ServerCase

pytestmark = pytest.mark.integration

TODAY = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
VERDICT = {
    "verdict": "ALLOW",
    "confidence": 0.95,
    "critics": [{"name": "safety", "score": 0.9}, {"name": "ethics", "score": 0.92}],
    "note": "café",
}


def eje_doc(
    decision_id: str,
    evidence_data: dict[str, Any],
    created_at: datetime,
    *,
    evidence_type: str = "decision",
    metadata: dict[str, Any] | None = None,
    checksum: bool = True,
) -> dict[str, Any]:
    """The document EJE's ``EvidenceBundle.to_dict()`` produced (field order kept)."""
    digest = (
        hashlib.sha256(json.dumps(evidence_data, sort_keys=True, default=str).encode()).hexdigest()
        if checksum
        else None
    )
    return {
        "decision_id": decision_id,
        "evidence_data": evidence_data,
        "created_at": created_at.isoformat(),
        "evidence_type": evidence_type,
        "version": "1.0",
        "checksum": digest,
        "metadata": metadata or {},
    }


def eje_put(store: ObjectStore, bucket: str, doc: dict[str, Any]) -> str:
    """Store ``doc`` exactly as EJE's ``store_evidence_bundle`` did; returns its key."""
    created = datetime.fromisoformat(doc["created_at"])
    key = (
        f"evidence/{doc['evidence_type']}/{created.year}/{created.month:02d}/"
        f"{doc['decision_id']}.json"
    )
    meta = {
        "decision-id": doc["decision_id"],
        "evidence-type": doc["evidence_type"],
        "version": doc["version"],
        "created-at": doc["created_at"],
    }
    if doc["checksum"]:
        meta["checksum"] = doc["checksum"]
    body = json.dumps(doc, indent=2, default=str).encode("utf-8")
    store.put_object(
        bucket,
        key,
        body,
        options=WriteOptions(content_type="application/json", metadata=meta),
    )
    return key


def _objects(store: ObjectStore, bucket: str, prefix: str = "") -> list[ObjectInfo]:
    return [e for e in store.list_objects(bucket, prefix=prefix) if isinstance(e, ObjectInfo)]


@pytest.fixture
def bundles(s3case: ServerCase) -> BundleStore:
    return BundleStore(s3case.store, s3case.bucket, clock=lambda: TODAY)


def test_eje_bundle_of_a_past_month_is_read_verified_and_found_by_id(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """EJE bundles of past months (and another type) are found by id without a pointer,
    read with their fields, checksum verified, layout 'eje'; exists/key_of agree."""
    old = eje_doc(
        "dec-123", VERDICT, datetime(2024, 1, 15, 12, 0), metadata={"environment": "production"}
    )
    key = eje_put(s3case.store, s3case.bucket, old)
    other = eje_doc(
        "dec-9", {"n": 1}, datetime(2023, 11, 30, 23, 59, 59, 123456), evidence_type="audit"
    )
    other_key = eje_put(s3case.store, s3case.bucket, other)

    got = bundles.get("dec-123")
    assert (got.decision_id, got.evidence_type, got.layout, got.verified) == (
        "dec-123",
        "decision",
        "eje",
        True,
    )
    assert got.evidence_data["verdict"] == "ALLOW" and got.data["note"] == "café"
    assert got.checksum == old["checksum"] == eje_checksum(got.data)
    assert got.created_at == datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
    assert dict(got.metadata) == {"environment": "production"}
    assert bundles.key_of("dec-123") == key and bundles.exists("dec-123")
    assert bundles.get("dec-9").created_at == datetime(2023, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)
    assert bundles.key_of("dec-9") == other_key == "evidence/audit/2023/11/dec-9.json"
    # the document is left as it lies: nothing written, no pointer
    keys = [o.key for o in _objects(s3case.store, s3case.bucket)]
    assert sorted(keys) == sorted([key, other_key])
    with pytest.raises(ObjectNotFound):
        bundles.get("dec-404")


def test_eje_bundles_listed_by_string_year_and_month(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """list takes year="2024", month="01" as EJE did (and integers); bad strings are
    InvalidArgument."""
    for did, when in (("a", datetime(2024, 1, 3)), ("b", datetime(2024, 2, 3))):
        eje_put(s3case.store, s3case.bucket, eje_doc(did, {"id": did}, when))
    assert [i.id for i in bundles.list("decision", year="2024", month="01")] == ["a"]
    assert [i.id for i in bundles.list("decision", year=2024, month=2)] == ["b"]
    assert [i.id for i in bundles.list(year="2024")] == ["a", "b"]
    info = next(bundles.list("decision", year="2024", month="1"))
    assert (info.type, info.year, info.month) == ("decision", 2024, 1)
    for bad in ({"month": "13"}, {"month": "1x"}, {"year": "-2024"}, {"year": " 2024"}):
        with pytest.raises(InvalidArgument):
            bundles.list("decision", **bad)


def test_tampered_eje_bundle_is_an_integrity_error(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """Changed evidence_data under the old checksum, a wrong checksum, and a checksum set
    to null while the object metadata still records it: each an IntegrityError."""
    doc = eje_doc("t-1", {"amount": 100}, datetime(2024, 5, 1))
    key = eje_put(s3case.store, s3case.bucket, doc)
    assert bundles.get("t-1").data["amount"] == 100

    forged = {**doc, "evidence_data": {"amount": 1_000_000}}
    s3case.store.put_object(s3case.bucket, key, json.dumps(forged, indent=2).encode())
    with pytest.raises(IntegrityError, match="checksum"):
        bundles.get("t-1")

    eje_put(s3case.store, s3case.bucket, {**doc, "checksum": "0" * 64})
    with pytest.raises(IntegrityError, match="checksum"):
        bundles.get("t-1")

    nulled = {**doc, "evidence_data": {"amount": 5}, "checksum": None}
    s3case.store.put_object(
        s3case.bucket,
        key,
        json.dumps(nulled, indent=2).encode(),
        options=WriteOptions(metadata={"decision-id": "t-1", "checksum": str(doc["checksum"])}),
    )
    with pytest.raises(IntegrityError, match="metadata"):
        bundles.get("t-1")


def test_eje_bundle_without_checksum_is_read_unverified(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """An EJE bundle stored with "checksum": null (and no checksum metadata) is read, its
    checksum computed, verified=False."""
    eje_put(
        s3case.store, s3case.bucket, eje_doc("n-1", {"x": 1}, datetime(2024, 2, 2), checksum=False)
    )
    got = bundles.get("n-1")
    assert got.verified is False and got.checksum == eje_checksum({"x": 1})


@pytest.mark.parametrize(
    "field",
    [
        "decision_id",
        "evidence_data",
        "created_at",
        "evidence_type",
        "version",
        "checksum",
        "metadata",
    ],
)
def test_eje_document_missing_a_field_names_it(
    s3case: ServerCase, bundles: BundleStore, field: str
) -> None:
    """An EJE document without one of its seven fields is an IntegrityError naming it."""
    doc = eje_doc("m-1", {"x": 1}, datetime(2024, 3, 3))
    key = eje_put(s3case.store, s3case.bucket, doc)
    del doc[field]
    s3case.store.put_object(s3case.bucket, key, json.dumps(doc, indent=2).encode())
    with pytest.raises(IntegrityError, match=repr(field)):
        bundles.get("m-1")


def test_eje_bundle_presigned(s3case: ServerCase, bundles: BundleStore) -> None:
    """presign_url of an EJE bundle found by id serves its document as EJE wrote it."""
    doc = eje_doc("p-1", VERDICT, datetime(2024, 6, 6))
    eje_put(s3case.store, s3case.bucket, doc)
    answer = requests.get(bundles.presign_url("p-1", expiration=60), timeout=10)
    assert answer.status_code == 200 and json.loads(answer.content) == doc
    assert answer.content.startswith(b'{\n  "decision_id": "p-1"')


def test_new_bundle_with_an_eje_id_is_refused(s3case: ServerCase, bundles: BundleStore) -> None:
    """Storing a new bundle under the id of an EJE bundle (no pointer) is AlreadyExists and
    writes nothing; overwrite=True replaces it (the EJE copy removed)."""
    eje_key = eje_put(s3case.store, s3case.bucket, eje_doc("dup", {"v": 1}, datetime(2024, 1, 1)))
    new = EvidenceBundle.create("decision", {"v": 2}, id="dup", clock=lambda: TODAY)
    with pytest.raises(AlreadyExists):
        bundles.put(new)
    assert [o.key for o in _objects(s3case.store, s3case.bucket)] == [eje_key]
    bundles.put(new, overwrite=True)
    assert bundles.get("dup") == new
    assert [i.key for i in bundles.list()] == ["evidence/decision/2026/03/dup.json"]


def test_reindex_writes_pointers_once(s3case: ServerCase, bundles: BundleStore) -> None:
    """reindex writes one pointer per EJE bundle (ours already have one); get then reads the
    pointer and still verifies; a second reindex writes none."""
    eje_put(s3case.store, s3case.bucket, eje_doc("r-1", {"a": 1}, datetime(2024, 1, 1)))
    eje_put(s3case.store, s3case.bucket, eje_doc("r-2", {"a": 2}, datetime(2025, 7, 1)))
    bundles.create("audit", {"ours": True}, id="r-3")
    assert bundles.reindex() == 2
    assert bundles.reindex() == 0
    pointers = [o.key for o in _objects(s3case.store, s3case.bucket, prefix="evidence/_index/")]
    assert pointers == [
        "evidence/_index/r-1.json",
        "evidence/_index/r-2.json",
        "evidence/_index/r-3.json",
    ]
    assert bundles.get("r-2").data == {"a": 2}
    key = bundles.key_of("r-1")
    forged = eje_doc("r-1", {"a": 99}, datetime(2024, 1, 1))  # a consistent forgery
    s3case.store.put_object(s3case.bucket, key, json.dumps(forged, indent=2).encode())
    with pytest.raises(IntegrityError):
        bundles.get("r-1")  # the pointer recorded the old checksum


def test_eje_bundle_copied_keeps_eje_document(s3case: ServerCase, bundles: BundleStore) -> None:
    """An EJE bundle read and stored in another bucket keeps EJE's document, metadata and
    checksum byte for byte, and verifies there."""
    doc = eje_doc("c-1", VERDICT, datetime(2024, 4, 4, 4, 4, 4), metadata={"env": "prod"})
    key = eje_put(s3case.store, s3case.bucket, doc)
    other = s3case.new_bucket()
    copy = BundleStore(s3case.store, other)
    copy.put(bundles.get("c-1"))
    assert s3case.store.get_object(other, key) == s3case.store.get_object(s3case.bucket, key)
    head = s3case.store.head_object(other, key)
    assert head.metadata["decision-id"] == "c-1" and head.metadata["checksum"] == doc["checksum"]
    assert copy.get("c-1") == bundles.get("c-1")


def test_bad_ids_refused_before_any_request(s3case: ServerCase, bundles: BundleStore) -> None:
    """Ids with '/' or '..' are InvalidArgument naming the field, and nothing is written."""
    for bad in ("a/b", "../x", "a..b"):
        with pytest.raises(InvalidArgument, match="id"):
            bundles.get(bad)
        with pytest.raises(InvalidArgument, match="decision_id"):
            EvidenceBundle(decision_id=bad, evidence_data={})
    assert list(s3case.store.list_objects(s3case.bucket)) == []


# ------------------------------------------------------------------ EJE's names
def test_eje_names_build_a_bundle() -> None:
    """EJE's constructor call works unchanged: decision_id, evidence_data, a naive
    created_at (UTC meant), evidence_type, metadata; the attributes read back under both
    names; the bundle is one of ours (our checksum)."""
    naive = datetime(2024, 1, 15, 12, 0)
    b = EvidenceBundle(
        decision_id="dec-123",
        evidence_data=VERDICT,
        created_at=naive,
        evidence_type="decision",
        metadata={"environment": "production"},
    )
    assert (b.id, b.type, b.layout) == ("dec-123", "decision", "bucket")
    assert b.decision_id == "dec-123" and b.evidence_type == "decision"
    assert b.evidence_data == b.data and b.data["verdict"] == "ALLOW"
    assert b.created_at == naive.replace(tzinfo=UTC)
    assert b.checksum == b.compute_checksum() != eje_checksum(VERDICT)
    defaulted = EvidenceBundle(decision_id="d2", evidence_data={}, version="1.0")
    assert defaulted.type == "decision" and defaulted.version == 1
    # an EJE checksum given is checked by EJE's rule
    EvidenceBundle(decision_id="d3", evidence_data={"a": 1}, checksum=eje_checksum({"a": 1}))
    with pytest.raises(IntegrityError):
        EvidenceBundle(decision_id="d3", evidence_data={"a": 1}, checksum="0" * 64)
    with pytest.raises(InvalidArgument, match="not both"):
        EvidenceBundle(id="x", decision_id="x", evidence_data={})
    with pytest.raises(InvalidArgument, match="evidence_data is required"):
        EvidenceBundle(decision_id="x")
    # our own names still refuse a naive date
    with pytest.raises(InvalidArgument, match="timezone"):
        EvidenceBundle(id="x", type="t", created_at=naive, data={})


def test_eje_names_round_trip(s3case: ServerCase, bundles: BundleStore) -> None:
    """A bundle built with EJE's names is stored in our layout (pointer included) and
    found by id."""
    b = EvidenceBundle(
        decision_id="dec-7", evidence_data={"v": 1}, created_at=datetime(2024, 1, 31, 23, 0)
    )
    bundles.put(b)
    assert bundles.key_of("dec-7") == "evidence/decision/2024/01/dec-7.json"
    assert s3case.store.object_exists(s3case.bucket, "evidence/_index/dec-7.json")
    assert bundles.get("dec-7") == b


# ------------------------------------------------------------------- EJE attachments
def eje_attach(store: ObjectStore, bucket: str, decision_id: str, name: str, data: bytes,
               when: datetime) -> str:
    """Store an attachment exactly as EJE's ``store_attachment`` did (no checksum, no
    pointer); returns its key."""
    key = f"attachments/{when.year}/{when.month:02d}/{decision_id}/{name}"
    store.put_object(
        bucket,
        key,
        data,
        options=WriteOptions(content_type="application/pdf", metadata={"decision-id": decision_id, "attachment-name": name}),
    )
    return key


def test_eje_attachments_are_listed_and_read_as_they_lie(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """EJE's attachments of a past month (no pointer, no checksum) are listed by id and
    read byte for byte; an id with none lists nothing."""
    old = datetime(2024, 1, 20, tzinfo=UTC)
    eje_attach(s3case.store, s3case.bucket, "dec-att-1", "report.pdf", b"%PDF-1 eje", old)
    eje_attach(s3case.store, s3case.bucket, "dec-att-1", "scan.pdf", b"%PDF-2 scan", old)
    eje_attach(s3case.store, s3case.bucket, "dec-other", "x.pdf", b"other", datetime(2025, 6, 1, tzinfo=UTC))
    listed = {a.name: a.size for a in bundles.list_attachments("dec-att-1")}
    assert listed == {"report.pdf": 10, "scan.pdf": 11}
    assert bundles.get_attachment("dec-att-1", "report.pdf") == b"%PDF-1 eje"
    assert bundles.head_attachment("dec-att-1", "scan.pdf").key == "attachments/2024/01/dec-att-1/scan.pdf"
    assert list(bundles.list_attachments("dec-none")) == []


def test_new_attachment_of_an_eje_id_joins_its_folder(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """A new attachment for an id EJE gave attachments goes into EJE's folder (clock in
    another month), with its SHA-256; the EJE one still reads, and both are listed."""
    eje_attach(s3case.store, s3case.bucket, "dec-att-2", "old.pdf", b"eje bytes",
               datetime(2023, 11, 2, tzinfo=UTC))
    info = bundles.put_attachment("dec-att-2", "new.txt", b"ours")
    assert info.key == "attachments/2023/11/dec-att-2/new.txt"
    assert info.metadata["sha256"] == hashlib.sha256(b"ours").hexdigest()
    assert bundles.get_attachment("dec-att-2", "old.pdf") == b"eje bytes"
    assert bundles.get_attachment("dec-att-2", "new.txt") == b"ours"
    assert sorted(a.name for a in bundles.list_attachments("dec-att-2")) == ["new.txt", "old.pdf"]


def test_an_eje_lookalike_without_checksum_in_our_folder_is_refused(
    s3case: ServerCase, bundles: BundleStore
) -> None:
    """An attachment of ours replaced by bytes carrying EJE's metadata but no checksum is
    still an IntegrityError: only folders EJE made are read unverified."""
    info = bundles.put_attachment("dec-att-3", "a.pdf", b"genuine")
    s3case.store.put_object(
        s3case.bucket,
        info.key,
        b"forged",
        options=WriteOptions(metadata={"decision-id": "dec-att-3", "attachment-name": "a.pdf"}),
    )
    with pytest.raises(IntegrityError, match="no sha256"):
        bundles.get_attachment("dec-att-3", "a.pdf")
