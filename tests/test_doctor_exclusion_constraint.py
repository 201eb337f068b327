"""doctor never offers to drop an index that backs an exclusion constraint: dropping it drops
the constraint's enforcement (PostgreSQL refuses the DROP INDEX, and a DBA who drops the
constraint to get there loses the rule). Each exclusion index here is also a duplicate, a
prefix of a wider index, and never scanned, so every check that proposes drops looks at it:
none may name it as the index to drop, and the plain copies next to them are offered, which
shows the checks did run. Real PostgreSQL."""

from __future__ import annotations

import psycopg
from doctor_support import doctor

SCHEMA = """
CREATE TABLE booking (
  id int PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL,
  CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&),
  CONSTRAINT booking_room_once EXCLUDE USING btree (room WITH =)
);
CREATE INDEX booking_during_copy ON booking USING gist (during);
CREATE INDEX booking_room_copy ON booking (room);
CREATE INDEX booking_room_id ON booking (room, id);
INSERT INTO booking SELECT i, i, tstzrange(timestamptz '2026-01-01' + i * interval '1 hour',
  timestamptz '2026-01-01' + (i + 1) * interval '1 hour') FROM generate_series(1, 500) i;
ANALYZE booking;
"""
EXCLUSION_INDEXES = {"booking_no_overlap", "booking_room_once"}


def test_doctor_keeps_the_indexes_of_exclusion_constraints_and_offers_their_copies(new_db):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    report = doctor(dsn)
    offered = {c.index.name for c in report.drops.candidates}
    assert not offered & EXCLUSION_INDEXES, [c.statement for c in report.drops.candidates]
    assert {"booking_during_copy", "booking_room_copy"} <= offered  # the checks did look
    subjects = {f.index.name for f in report.findings if f.index is not None}
    assert not subjects & EXCLUSION_INDEXES, [f.objects for f in report.findings]
    judged = {o.check.id for o in report.outcomes if o.judged}
    assert {"duplicate-index", "redundant-index", "unused-index"} <= judged
