"""Statistics of a bucket on any store: object count and bytes, in total, per
top-level prefix and per storage class, from one pass over the listing.

Store-independent: it needs only ``ObjectStore.list_objects``, so the facade, the CLI's
``du`` and ``S3Store.get_bucket_stats`` all count the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore
from backend.src.libs.bucket.base.validation import check_bucket_name, check_listing


@dataclass(frozen=True)
class Usage:
    """A count of objects and their bytes."""

    objects: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class BucketStats:
    """Objects and bytes of a bucket (under a prefix), over every listing page.

    Attributes:
        total: everything counted.
        by_prefix: per top-level prefix (the key up to and including its first ``/``,
            e.g. ``"evidence/"``; keys without a ``/`` count under ``""``).
        by_storage_class: per storage class (``STANDARD`` when the server says nothing).
        pages: listing pages read (of ``page_size`` keys).
    """

    bucket: str
    prefix: str
    total: Usage
    by_prefix: Mapping[str, Usage] = field(default_factory=dict)
    by_storage_class: Mapping[str, Usage] = field(default_factory=dict)
    pages: int = 0

    @property
    def objects(self) -> int:
        """Number of objects."""
        return self.total.objects

    @property
    def bytes(self) -> int:
        """Total size in bytes."""
        return self.total.bytes


def bucket_stats(
    store: ObjectStore, bucket: str, *, prefix: str = "", page_size: int = 1000
) -> BucketStats:
    """Object count and bytes of any store's bucket, in total, per top-level prefix and
    per storage class, over every listing page (memory: one page plus the counters).

    Raises:
        BucketNotFound: no such bucket.
        InvalidArgument: a bad bucket name or ``page_size`` outside 1..1000.
    """
    check_bucket_name(bucket)
    check_listing(prefix=prefix, page_size=page_size)
    totals = [0, 0]
    per_prefix: dict[str, list[int]] = {}
    per_class: dict[str, list[int]] = {}
    for entry in store.list_objects(bucket, prefix=prefix, page_size=page_size):
        if not isinstance(entry, ObjectInfo):
            continue
        top = entry.key.split("/", 1)[0] + "/" if "/" in entry.key else ""
        storage_class = entry.storage_class or "STANDARD"
        for counter in (
            totals,
            per_prefix.setdefault(top, [0, 0]),
            per_class.setdefault(storage_class, [0, 0]),
        ):
            counter[0] += 1
            counter[1] += entry.size
    return BucketStats(
        bucket=bucket,
        prefix=prefix,
        total=Usage(objects=totals[0], bytes=totals[1]),
        by_prefix={k: Usage(objects=v[0], bytes=v[1]) for k, v in sorted(per_prefix.items())},
        by_storage_class={k: Usage(objects=v[0], bytes=v[1]) for k, v in sorted(per_class.items())},
        pages=max(1, -(-totals[0] // page_size)),
    )


__all__ = ["BucketStats", "Usage", "bucket_stats"]
