//! Schema migrations: append-only. A released migration is never edited; a change is a new
//! entry at the end. `PRAGMA user_version` is the number of migrations applied.

/// Every migration, in order. Index + 1 is the schema version it produces.
pub const MIGRATIONS: &[&str] = &[
    // 1: device metadata, secrets, enrolled officers.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE officers (
        person_id    TEXT PRIMARY KEY,
        cert         BLOB NOT NULL,
        cert_sig     BLOB NOT NULL,
        wrapped_key  TEXT,
        pin_failures INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER
    ) STRICT;
    "#,
    // 2: case documents and the case-list projection derived from them.
    r#"
    CREATE TABLE case_docs (
        case_id    TEXT PRIMARY KEY,
        doc        BLOB NOT NULL,
        heads      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE case_index (
        case_id        TEXT PRIMARY KEY REFERENCES case_docs(case_id),
        squad          TEXT NOT NULL,
        status         TEXT NOT NULL,
        domain         TEXT NOT NULL,
        domain_name    TEXT NOT NULL,
        violation      TEXT NOT NULL,
        violation_name TEXT NOT NULL,
        source         TEXT NOT NULL,
        address        TEXT NOT NULL,
        grid           TEXT NOT NULL,
        parties        TEXT NOT NULL,
        summary        TEXT NOT NULL,
        registered_at  INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        anomalies      INTEGER NOT NULL,
        search         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX case_index_updated ON case_index(updated_at DESC);
    CREATE INDEX case_index_status ON case_index(status, updated_at DESC);
    CREATE INDEX case_index_squad ON case_index(squad, updated_at DESC);
    CREATE INDEX case_index_grid ON case_index(grid);
    CREATE INDEX case_index_domain ON case_index(domain);
    CREATE TABLE case_deadlines (
        case_id TEXT NOT NULL REFERENCES case_docs(case_id),
        kind    TEXT NOT NULL,
        detail  TEXT NOT NULL,
        due_at  INTEGER NOT NULL,
        PRIMARY KEY (case_id, kind, detail)
    ) STRICT;
    CREATE INDEX case_deadlines_due ON case_deadlines(due_at);
    "#,
    // 3: the device feed (执法全过程记录): every signed entry, written in the same transaction as
    // the change it records.
    r#"
    CREATE TABLE ledger (
        device     TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        hash       BLOB NOT NULL,
        case_id    TEXT NOT NULL,
        entry      BLOB NOT NULL,
        device_sig BLOB NOT NULL,
        actor_sigs TEXT NOT NULL,
        PRIMARY KEY (device, seq)
    ) STRICT;
    CREATE INDEX ledger_case ON ledger(case_id, device, seq);
    "#,
    // 4: the base station's receipts for entries it logged (checkpoint + inclusion proof).
    r#"
    CREATE TABLE receipts (
        entry   BLOB PRIMARY KEY,
        receipt TEXT NOT NULL
    ) STRICT;
    "#,
    // 5: the heads of each case the base station acknowledged (moved out of `meta`), and an
    // index that holds each document's heads so a sync reads them without the documents.
    r#"
    CREATE TABLE station_acks (
        case_id TEXT PRIMARY KEY,
        heads   TEXT NOT NULL
    ) STRICT;
    INSERT INTO station_acks(case_id, heads)
        SELECT substr(m.key, 7),
               coalesce((SELECT group_concat(j.value, ',') FROM json_each(CAST(m.value AS TEXT)) j), '')
        FROM meta m WHERE m.key LIKE 'acked:%';
    DELETE FROM meta WHERE key LIKE 'acked:%';
    CREATE INDEX case_docs_heads ON case_docs(case_id, heads);
    "#,
    // 6: whose each case is (registrar and investigating officers, as `,id,id,`), for "my
    // cases"; filled by the projection rebuild that follows this migration.
    r#"
    ALTER TABLE case_index ADD COLUMN people TEXT NOT NULL DEFAULT '';
    "#,
    // 7: entries of the second layout keep their body apart from the signed head; an entry
    // whose body this device may not see is kept without it (elided, `case_id` empty).
    r#"
    ALTER TABLE ledger ADD COLUMN body BLOB;
    "#,
    // 8: the whole procedure: whose act each case waits on (`,role,role,`), its 721 category
    // and when, and deadlines met late (kept, with their reason, so they stay visible);
    // filled by the projection rebuild that follows this migration.
    r#"
    ALTER TABLE case_index ADD COLUMN waiting TEXT NOT NULL DEFAULT '';
    ALTER TABLE case_index ADD COLUMN outcome721 TEXT NOT NULL DEFAULT '';
    ALTER TABLE case_index ADD COLUMN outcome_at INTEGER;
    ALTER TABLE case_deadlines ADD COLUMN met_at INTEGER;
    ALTER TABLE case_deadlines ADD COLUMN late_reason TEXT;
    CREATE INDEX case_index_outcome ON case_index(squad, outcome721, outcome_at);
    "#,
    // 9: entries of this device the station refused and an officer set aside (搁置): kept
    // whole here, with who set them aside and why, while the ledger keeps each one's head
    // (its place in the feed); and each case document as it was before it was set back.
    r#"
    CREATE TABLE set_aside (
        hash       BLOB PRIMARY KEY,
        device     TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        case_id    TEXT NOT NULL,
        body       BLOB,
        actor_sigs TEXT NOT NULL,
        reason     TEXT NOT NULL,
        by_person  TEXT NOT NULL,
        at         INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX set_aside_case ON set_aside(case_id, at);
    CREATE TABLE set_aside_docs (
        case_id TEXT NOT NULL,
        at      INTEGER NOT NULL,
        doc     BLOB NOT NULL,
        PRIMARY KEY (case_id, at)
    ) STRICT;
    "#,
    // 10: cases whose documents the station declined as out of this device's view (moved to
    // another squad), at these heads: not shown unsynced until they change (still sent, so
    // the station takes them should the case come back into view).
    r#"
    CREATE TABLE station_outside (
        case_id TEXT PRIMARY KEY,
        heads   TEXT NOT NULL
    ) STRICT;
    "#,
];

/// The latest migration that changed what the case-list projection holds: a file upgraded from
/// before it has its projection rebuilt from the documents when it is opened.
pub const PROJECTION_CHANGED_AT: u32 = 8;

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;
