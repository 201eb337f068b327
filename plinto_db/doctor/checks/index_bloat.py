"""index-bloat (warning, runtime): a btree much larger than its live entries need.

An estimate without pgstattuple: from the index's tuple count and the average key width in
pg_stats, the pages a freshly built btree would need at its fillfactor (leaf pages; the
inner levels add about 1 %), against the pages it has. Reported when the estimated bloat
is at least MIN_RATIO of the index and at least MIN_BYTES. Indexes without statistics (never
analyzed) are not estimated. B-tree deduplication (PostgreSQL 13+) makes indexes on
repetitive keys smaller than the estimate, never larger, so it cannot invent bloat.
"""

from __future__ import annotations

import math

from plinto_db.doctor.model import (
    BtreeSize,
    Check,
    Facts,
    Finding,
    Kind,
    Need,
    Severity,
    human_bytes,
)

ID = "index-bloat"
MIN_RATIO = 0.3
MIN_BYTES = 1024 * 1024
MAXALIGN = 8
PAGE_HEADER = 24  # PageHeaderData
BTREE_OPAQUE = 16  # BTPageOpaqueData, at the end of each page
ITEM_ID = 4  # ItemIdData: the line pointer of each tuple
TUPLE_HEADER = 8  # IndexTupleData
NULL_BITMAP = 4  # IndexAttributeBitMapData, when a key may be NULL


def _align(size: float) -> int:
    return int(math.ceil(size / MAXALIGN) * MAXALIGN)


def expected_pages(size: BtreeSize) -> int | None:
    """The pages a fresh build would need, or None when there is nothing to estimate from."""
    if size.tuples < 0 or size.keys_with_stats < size.keys:
        return None
    header = _align(TUPLE_HEADER + (NULL_BITMAP if size.has_nulls else 0))
    entry = _align(header + size.data_width) + ITEM_ID
    usable = (size.block_size - PAGE_HEADER - BTREE_OPAQUE) * size.fillfactor / 100
    per_page = max(int(usable // entry), 1)
    return 1 + math.ceil(size.tuples / per_page)  # + the metapage


def estimate(size: BtreeSize) -> tuple[int, float] | None:
    """(bloat bytes, bloat ratio) of one index, or None."""
    expected = expected_pages(size)
    if expected is None or size.pages <= 0:
        return None
    extra = max(size.pages - expected, 0)
    return extra * size.block_size, extra / size.pages


def find(facts: Facts) -> tuple[Finding, ...]:
    by_oid = {index.oid: index for index in facts.indexes}
    findings = []
    for size in facts.btree_sizes:
        index = by_oid.get(size.index_oid)
        figures = estimate(size)
        if index is None or figures is None:
            continue
        bloat, ratio = figures
        if ratio < MIN_RATIO or bloat < MIN_BYTES:
            continue
        total = size.pages * size.block_size
        findings.append(
            Finding.about_index(
                CHECK,
                index,
                (
                    f"{index.qualified_name} is about {ratio:.0%} bloat: "
                    f"{human_bytes(bloat)} of its {human_bytes(total)} hold no live entries "
                    "(estimated from pg_stats; pgstattuple's pgstatindex() measures it). "
                    f"Fix: REINDEX INDEX CONCURRENTLY {index.qualified_name};"
                ),
                {"bloat_bytes": bloat, "bloat_ratio": round(ratio, 3), "size_bytes": total},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.RUNTIME,
    title="Bloated btree indexes (estimate)",
    fix="REINDEX INDEX CONCURRENTLY",
    needs=frozenset({Need.INDEXES, Need.BTREE_SIZES}),
    find=find,
)
