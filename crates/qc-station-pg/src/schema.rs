//! The schema and its migrations.

use postgres::Client;
use qc_station_storage::StorageError;

use crate::{col, pg};

/// Schema migrations, append-only: never edit a released one (a known-answer test holds them).
/// Text keys are `COLLATE "C"`: compared and ordered bytewise whatever the database's locale,
/// as SQLite and Rust's `String` order them.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE log (
        idx        BIGINT PRIMARY KEY CHECK (idx >= 0),
        hash       BYTEA NOT NULL UNIQUE,
        device     TEXT COLLATE "C" NOT NULL,
        seq        BIGINT NOT NULL,
        case_id    TEXT COLLATE "C" NOT NULL,
        entry      BYTEA NOT NULL,
        body       BYTEA,
        device_sig BYTEA NOT NULL,
        actor_sigs BYTEA NOT NULL,
        UNIQUE (device, seq)
    );
    CREATE INDEX log_case ON log (case_id, idx);
    CREATE TABLE log_head (
        one            INT PRIMARY KEY CHECK (one = 1),
        size           BIGINT NOT NULL,
        root           BYTEA NOT NULL,
        checkpoint     BYTEA,
        checkpoint_sig BYTEA,
        note           TEXT
    );
    -- The row always exists, so a sequencer always has a row to lock (the empty tree's root is
    -- the SHA-256 of nothing).
    INSERT INTO log_head (one, size, root) VALUES (1, 0, sha256(''::BYTEA));
    CREATE TABLE log_tiles (
        level  SMALLINT NOT NULL,
        idx    BIGINT NOT NULL,
        hashes BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    );
    CREATE TABLE enrolment_codes (
        hash    BYTEA PRIMARY KEY,
        squad   TEXT NOT NULL,
        person  TEXT,
        expires BIGINT NOT NULL,
        used    BOOLEAN NOT NULL DEFAULT false
    );
    CREATE TABLE devices (
        id        TEXT COLLATE "C" PRIMARY KEY,
        cert      BYTEA NOT NULL,
        signature BYTEA NOT NULL
    );
    CREATE TABLE officer_certs (
        device    TEXT COLLATE "C" NOT NULL,
        cert      BYTEA NOT NULL,
        signature BYTEA NOT NULL,
        PRIMARY KEY (device, cert)
    );
    CREATE TABLE case_docs (
        case_id TEXT COLLATE "C" PRIMARY KEY,
        squad   TEXT COLLATE "C" NOT NULL,
        status  TEXT NOT NULL,
        heads   BYTEA NOT NULL,
        doc     BYTEA NOT NULL
    );
    CREATE INDEX case_docs_squad ON case_docs (squad);
    CREATE INDEX case_docs_without_heads ON case_docs (case_id) WHERE heads = ''::BYTEA;
    CREATE TABLE blobs (
        hash     BYTEA PRIMARY KEY,
        size     BIGINT NOT NULL,
        attempt  BIGINT NOT NULL,
        complete BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX blobs_unfinished ON blobs (hash) WHERE NOT complete;
    CREATE TABLE blob_cases (
        hash    BYTEA NOT NULL,
        case_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (hash, case_id)
    );
    CREATE TABLE nonces (
        device TEXT COLLATE "C" NOT NULL,
        nonce  BYTEA NOT NULL,
        time   BIGINT NOT NULL,
        PRIMARY KEY (device, nonce)
    );
    CREATE INDEX nonces_time ON nonces (time);
    CREATE TABLE revocations (
        one       INT PRIMARY KEY CHECK (one = 1),
        bytes     BYTEA NOT NULL,
        signature BYTEA NOT NULL
    );
"#,
    // A sync reads the cases its device sees by squad or status, not every case; wrong
    // enrolment codes are counted here, so every process on the database shares the limit.
    r#"
    CREATE INDEX case_docs_status ON case_docs (status);
    CREATE TABLE code_failures (
        source TEXT COLLATE "C" NOT NULL,
        time   BIGINT NOT NULL
    );
    CREATE INDEX code_failures_source ON code_failures (source, time);
    CREATE INDEX code_failures_time ON code_failures (time);
"#,
    // The bureau's console: desk accounts, their sessions, the sign-in and operation logs.
    r#"
    CREATE TABLE desk_accounts (
        login          TEXT COLLATE "C" PRIMARY KEY,
        name           TEXT NOT NULL,
        role           TEXT NOT NULL,
        squads         TEXT NOT NULL,
        password_hash  TEXT NOT NULL,
        totp_secret    BYTEA NOT NULL,
        totp_last_step BIGINT NOT NULL,
        failures       INT NOT NULL,
        locked_until   BIGINT
    );
    CREATE TABLE desk_sessions (
        token_hash BYTEA PRIMARY KEY,
        login      TEXT COLLATE "C" NOT NULL REFERENCES desk_accounts (login),
        csrf       TEXT NOT NULL,
        started    BIGINT NOT NULL,
        last_seen  BIGINT NOT NULL
    );
    CREATE TABLE desk_log (
        id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind   TEXT NOT NULL,
        at     BIGINT NOT NULL,
        login  TEXT NOT NULL,
        what   TEXT NOT NULL,
        ok     BOOLEAN NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX desk_log_kind ON desk_log (kind, id);
"#,
    // The case list the bureau's console searches and counts, derived from each document.
    r#"
    CREATE TABLE case_rows (
        case_id        TEXT COLLATE "C" PRIMARY KEY,
        squad          TEXT COLLATE "C" NOT NULL,
        status         TEXT NOT NULL,
        domain         TEXT NOT NULL,
        domain_name    TEXT NOT NULL,
        violation      TEXT NOT NULL,
        violation_name TEXT NOT NULL,
        address        TEXT NOT NULL,
        grid           TEXT COLLATE "C" NOT NULL,
        parties        TEXT NOT NULL,
        summary        TEXT NOT NULL,
        search         TEXT NOT NULL,
        registered_at  BIGINT NOT NULL,
        updated_at     BIGINT NOT NULL,
        outcome721     TEXT,
        outcome_at     BIGINT
    );
    CREATE INDEX case_rows_registered ON case_rows (registered_at);
    CREATE INDEX case_rows_squad ON case_rows (squad, registered_at);
    CREATE INDEX case_rows_status ON case_rows (status);
    CREATE TABLE case_row_deadlines (
        case_id TEXT COLLATE "C" NOT NULL,
        kind    TEXT NOT NULL,
        due_at  BIGINT NOT NULL
    );
    CREATE INDEX case_row_deadlines_case ON case_row_deadlines (case_id);
    CREATE TABLE case_row_people (
        case_id TEXT COLLATE "C" NOT NULL,
        person  TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX case_row_people_case ON case_row_people (case_id);
"#,
    // The dashboard reads only the deadlines overdue or due soon.
    r#"
    CREATE INDEX case_row_deadlines_due ON case_row_deadlines (due_at);
"#,
    // A desk account may be a person of the bureau, whom their signatures at the desk name.
    r#"
    ALTER TABLE desk_accounts ADD COLUMN person TEXT COLLATE "C";
"#,
    // 行政处罚结果公开: the published results, derived with the case rows (which are dropped
    // here to be derived again at the next start, with them).
    r#"
    CREATE TABLE disclosures (
        case_id                TEXT COLLATE "C" PRIMARY KEY,
        violation_name         TEXT NOT NULL,
        disclosed_at           BIGINT NOT NULL,
        text                   TEXT NOT NULL,
        revoked_at             BIGINT,
        revoked_by             TEXT,
        revoked_reason         TEXT,
        corrected_at           BIGINT,
        correction_explanation TEXT,
        correction_text        TEXT
    );
    CREATE INDEX disclosures_newest ON disclosures (disclosed_at);
    DELETE FROM case_row_deadlines;
    DELETE FROM case_row_people;
    DELETE FROM case_rows;
"#,
    // When each device last synced: the console lists those not seen for days.
    r#"
    ALTER TABLE devices ADD COLUMN last_seen BIGINT;
"#,
    // The ids entries name by prefix (a random inspection's `draw-…`), read as a range of
    // bytes whatever the database's collation.
    r#"
    CREATE INDEX log_case_bytes ON log ((case_id COLLATE "C"), idx);
"#,
    // Files entries name that the station does not hold yet: the console's uploads pending.
    r#"
    CREATE TABLE pending_blobs (
        hash    BYTEA NOT NULL,
        case_id TEXT NOT NULL,
        device  TEXT NOT NULL,
        since   BIGINT NOT NULL,
        PRIMARY KEY (hash, case_id, device)
    );
    CREATE INDEX pending_blobs_since ON pending_blobs (since);
"#,
    // The dashboard reads narrow rows: its counts the facts of a case (not the texts a search
    // reads: a quarter of the pages), its deadline figures one table each, no join, from the
    // index alone: a deadline row carries its case's squad and status (what a view filters
    // on), and a duty row is a deadline of one of the case's people (which replaces the
    // people rows, read only for that).
    r#"
    CREATE TABLE case_row_facts (
        case_id       TEXT COLLATE "C" PRIMARY KEY,
        squad         TEXT COLLATE "C" NOT NULL,
        status        TEXT NOT NULL,
        domain        TEXT NOT NULL,
        domain_name   TEXT NOT NULL,
        grid          TEXT COLLATE "C" NOT NULL,
        registered_at BIGINT NOT NULL,
        outcome721    TEXT,
        outcome_at    BIGINT
    );
    INSERT INTO case_row_facts (case_id, squad, status, domain, domain_name, grid,
        registered_at, outcome721, outcome_at)
      SELECT case_id, squad, status, domain, domain_name, grid, registered_at, outcome721,
        outcome_at FROM case_rows;
    CREATE INDEX case_row_facts_squad ON case_row_facts (squad, registered_at);
    DELETE FROM case_row_deadlines d
      WHERE NOT EXISTS (SELECT 1 FROM case_rows r WHERE r.case_id = d.case_id);
    ALTER TABLE case_row_deadlines ADD COLUMN squad TEXT COLLATE "C" NOT NULL DEFAULT '',
      ADD COLUMN status TEXT NOT NULL DEFAULT '';
    UPDATE case_row_deadlines d SET squad = r.squad, status = r.status
      FROM case_rows r WHERE r.case_id = d.case_id;
    ALTER TABLE case_row_deadlines ALTER COLUMN squad DROP DEFAULT,
      ALTER COLUMN status DROP DEFAULT;
    DROP INDEX case_row_deadlines_due;
    CREATE INDEX case_row_deadlines_due ON case_row_deadlines (due_at) INCLUDE (squad, status);
    CREATE TABLE case_row_duties (
        case_id TEXT COLLATE "C" NOT NULL,
        person  TEXT COLLATE "C" NOT NULL,
        due_at  BIGINT NOT NULL,
        squad   TEXT COLLATE "C" NOT NULL,
        status  TEXT NOT NULL
    );
    INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
      SELECT p.case_id, p.person, d.due_at, d.squad, d.status
      FROM case_row_people p JOIN case_row_deadlines d ON d.case_id = p.case_id;
    DROP TABLE case_row_people;
    CREATE INDEX case_row_duties_case ON case_row_duties (case_id);
    CREATE INDEX case_row_duties_due ON case_row_duties (due_at) INCLUDE (person, squad, status);
    ANALYZE case_row_facts, case_row_deadlines, case_row_duties;
"#,
    // A desk account its holder activates: the administrator hands over a one-time code, not
    // a password.
    r#"
    ALTER TABLE desk_accounts ADD COLUMN activation_hash BYTEA;
    ALTER TABLE desk_accounts ADD COLUMN activation_until BIGINT;
    ALTER TABLE desk_accounts ADD COLUMN key_salt BYTEA NOT NULL DEFAULT '';
    ALTER TABLE desk_accounts ADD COLUMN credentials_at BIGINT NOT NULL DEFAULT 0;
"#,
    // The bureau's catalogue and documents' wording, imported at the console for every tablet.
    r#"
    CREATE TABLE bureau_files (
        kind        TEXT PRIMARY KEY,
        text        TEXT NOT NULL,
        digest      BYTEA NOT NULL,
        at          BIGINT NOT NULL,
        by          TEXT NOT NULL,
        release     BYTEA NOT NULL,
        release_sig BYTEA NOT NULL
    );
    ALTER TABLE devices ADD COLUMN bureau_taken BYTEA NOT NULL DEFAULT '',
      ADD COLUMN bureau_refused BYTEA NOT NULL DEFAULT '';
"#,
    // How many desk acts (a review, an export) the log holds about each case, kept by the log
    // itself as it appends (in the sequencer's transaction): a tablet holding fewer pulls the
    // case again (a desk act changes no document). Desk devices' ids begin with `desk-`.
    r#"
    -- No append while the log is counted (another instance, not yet upgraded, may be running):
    -- an entry logged between the count and the trigger would be counted by neither.
    LOCK TABLE log IN SHARE MODE;
    ALTER TABLE case_docs ADD COLUMN desk_acts BIGINT NOT NULL DEFAULT 0;
    UPDATE case_docs c SET desk_acts = t.n
      FROM (SELECT case_id, count(*) AS n FROM log
            WHERE device >= 'desk-' AND device < 'desk.' GROUP BY case_id) t
      WHERE c.case_id = t.case_id;
    CREATE FUNCTION count_desk_act() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE case_docs SET desk_acts = desk_acts + 1 WHERE case_id = NEW.case_id;
        RETURN NULL;
      END $$;
    CREATE TRIGGER log_desk_act AFTER INSERT ON log FOR EACH ROW
      WHEN (NEW.device >= 'desk-' AND NEW.device < 'desk.')
      EXECUTE FUNCTION count_desk_act();
"#,
    // Entries refused from a device for what each one is: only those (and what follows them
    // about the same case) may be set aside by that device.
    r#"
    CREATE TABLE refused_entries (
        device TEXT NOT NULL,
        hash   BYTEA NOT NULL,
        PRIMARY KEY (device, hash)
    );
"#,
    // Deletions (删除原件) a stopped process had begun, to finish when one starts again: blobs
    // whose row was let go before their bytes (no other process may keep or link them
    // meanwhile), and cases whose approvals were being logged.
    r#"
    ALTER TABLE blobs ADD COLUMN deleting BOOLEAN NOT NULL DEFAULT false;
    CREATE INDEX blobs_deleting ON blobs (hash) WHERE deleting;
    CREATE TABLE deletions_due (
        case_id TEXT COLLATE "C" PRIMARY KEY,
        noted   BIGINT NOT NULL
    );
"#,
    // `case_id` is `COLLATE "C"` already: `log_case_bytes` is the same index as `log_case`,
    // and every entry logged was written into both.
    r#"
    DROP INDEX log_case;
"#,
    // Blobs whose bytes an approved deletion removed: backups of the evidence let them go too.
    r#"
    CREATE TABLE deleted_blobs (
        hash BYTEA PRIMARY KEY,
        at   BIGINT NOT NULL
    );
"#,
];

/// The advisory lock every migration transaction takes ("QCSTNMIG"), so two station processes
/// starting at once on a new database do not both migrate it: the second waits, then finds the
/// schema current.
const MIGRATION_LOCK: i64 = 0x5143_5354_4e4d_4947;

/// Brings the schema up to date, one migration per transaction; refuses a schema newer than
/// this code knows.
pub(crate) fn migrate(c: &mut Client) -> Result<(), StorageError> {
    let known = MIGRATIONS.len();
    loop {
        let mut tx = c.transaction().map_err(pg("starting a migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(pg("taking the migration lock"))?;
        // Made under the lock: two concurrent `CREATE TABLE IF NOT EXISTS` can both fail.
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 one     INT PRIMARY KEY CHECK (one = 1),
                 version INT NOT NULL
             );
             INSERT INTO schema_version (one, version) VALUES (1, 0) ON CONFLICT (one) DO NOTHING;",
        )
        .map_err(pg("making the schema_version table"))?;
        let row = tx
            .query_one("SELECT version FROM schema_version WHERE one = 1", &[])
            .map_err(pg("reading the schema version"))?;
        let version: i32 = col(&row, 0)?;
        let version = usize::try_from(version)
            .map_err(|_| StorageError::Damaged(format!("schema version {version}")))?;
        if version > known {
            // Dropping the transaction rolls it back.
            return Err(StorageError::Damaged(format!(
                "schema {version} is newer than this server ({known})"
            )));
        }
        let Some(migration) = MIGRATIONS.get(version) else {
            tx.commit().map_err(pg("ending the migration check"))?;
            return Ok(());
        };
        tx.batch_execute(migration)
            .map_err(pg("applying a schema migration"))?;
        let next = i32::try_from(version + 1)
            .map_err(|_| StorageError::Backend("too many migrations".into()))?;
        tx.execute(
            "UPDATE schema_version SET version = $1 WHERE one = 1",
            &[&next],
        )
        .map_err(pg("recording the schema version"))?;
        tx.commit().map_err(pg("committing a schema migration"))?;
    }
}
