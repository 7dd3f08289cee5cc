//! The console's rows (desk accounts, sessions, the sign-in and operation logs) in PostgreSQL.

use postgres::Row;
use qc_station_storage::StorageError;
use qc_station_storage::desk::{
    self, DeskAccountRow, DeskCredentials, DeskLogKind, DeskLogRow, DeskSessionRow, DeskStore,
};

use crate::{PgStorage, col, pg};

const ACCOUNT_COLUMNS: &str = "login, name, role, squads, password_hash, totp_secret, \
     totp_last_step, failures, locked_until, person, activation_hash, activation_until, key_salt, \
     credentials_at";

fn account(r: &Row) -> Result<DeskAccountRow, StorageError> {
    let failures: i32 = col(r, 7)?;
    Ok(DeskAccountRow {
        login: col(r, 0)?,
        name: col(r, 1)?,
        role: col(r, 2)?,
        squads: desk::squads_from_column(col(r, 3)?),
        credentials: DeskCredentials {
            password_hash: col(r, 4)?,
            totp_secret: col(r, 5)?,
            activation: desk::activation_from_columns(col(r, 10)?, col(r, 11)?)?,
            key_salt: col(r, 12)?,
            changed_at: col(r, 13)?,
        },
        totp_last_step: col(r, 6)?,
        failures: u32::try_from(failures)
            .map_err(|_| StorageError::Damaged(format!("{failures} failed sign-ins")))?,
        locked_until: col(r, 8)?,
        person: col(r, 9)?,
    })
}

fn count(n: u32) -> Result<i32, StorageError> {
    i32::try_from(n).map_err(|_| StorageError::Backend(format!("{n} is too large to store")))
}

impl DeskStore for PgStorage {
    fn add_desk_account(&self, a: &DeskAccountRow) -> Result<bool, StorageError> {
        self.conn()?
            .execute(
                &format!(
                    "INSERT INTO desk_accounts ({ACCOUNT_COLUMNS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                     ON CONFLICT (login) DO NOTHING"
                ),
                &[
                    &a.login,
                    &a.name,
                    &a.role,
                    &desk::squads_column(&a.squads),
                    &a.credentials.password_hash,
                    &a.credentials.totp_secret,
                    &a.totp_last_step,
                    &count(a.failures)?,
                    &a.locked_until,
                    &a.person,
                    &a.credentials.activation.map(|x| x.code_hash.to_vec()),
                    &a.credentials.activation.map(|x| x.until),
                    &a.credentials.key_salt,
                    &a.credentials.changed_at,
                ],
            )
            .map(|n| n == 1)
            .map_err(pg("adding a desk account"))
    }

    fn desk_account(&self, login: &str) -> Result<Option<DeskAccountRow>, StorageError> {
        self.conn()?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM desk_accounts WHERE login = $1"),
                &[&login],
            )
            .map_err(pg("reading a desk account"))?
            .as_ref()
            .map(account)
            .transpose()
    }

    fn desk_accounts(&self) -> Result<Vec<DeskAccountRow>, StorageError> {
        self.conn()?
            .query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM desk_accounts ORDER BY login"),
                &[],
            )
            .map_err(pg("listing desk accounts"))?
            .iter()
            .map(account)
            .collect()
    }

    fn set_desk_sign_in_state(
        &self,
        login: &str,
        failures: u32,
        locked_until: Option<i64>,
        totp_last_step: i64,
    ) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "UPDATE desk_accounts SET failures = $2, locked_until = $3, totp_last_step = $4
                 WHERE login = $1",
                &[&login, &count(failures)?, &locked_until, &totp_last_step],
            )
            .map(drop)
            .map_err(pg("recording a sign-in"))
    }

    fn set_desk_credentials(
        &self,
        login: &str,
        was: &DeskCredentials,
        new: &DeskCredentials,
        totp_last_step: i64,
    ) -> Result<bool, StorageError> {
        self.conn()?
            .execute(
                "UPDATE desk_accounts SET password_hash = $5, totp_secret = $6,
                   activation_hash = $7, activation_until = $8,
                   totp_last_step = CASE WHEN totp_secret = $6
                     THEN GREATEST(totp_last_step, $9) ELSE $9 END,
                   key_salt = $10, credentials_at = $11, failures = 0, locked_until = NULL
                 WHERE login = $1 AND password_hash = $2 AND totp_secret = $3
                   AND activation_hash IS NOT DISTINCT FROM $4",
                &[
                    &login,
                    &was.password_hash,
                    &was.totp_secret,
                    &was.activation.map(|x| x.code_hash.to_vec()),
                    &new.password_hash,
                    &new.totp_secret,
                    &new.activation.map(|x| x.code_hash.to_vec()),
                    &new.activation.map(|x| x.until),
                    &totp_last_step,
                    &new.key_salt,
                    &new.changed_at,
                ],
            )
            .map(|n| n == 1)
            .map_err(pg("changing a desk account's credentials"))
    }

    fn drop_desk_sessions_of(&self, login: &str) -> Result<u64, StorageError> {
        self.conn()?
            .execute("DELETE FROM desk_sessions WHERE login = $1", &[&login])
            .map_err(pg("ending an account's desk sessions"))
    }

    fn add_desk_session(&self, s: &DeskSessionRow) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO desk_sessions (token_hash, login, csrf, started, last_seen)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &s.token_hash.as_slice(),
                    &s.login,
                    &s.csrf,
                    &s.started,
                    &s.last_seen,
                ],
            )
            .map(drop)
            .map_err(pg("keeping a desk session"))
    }

    fn desk_session(&self, token_hash: &[u8; 32]) -> Result<Option<DeskSessionRow>, StorageError> {
        self.conn()?
            .query_opt(
                "SELECT login, csrf, started, last_seen FROM desk_sessions WHERE token_hash = $1",
                &[&token_hash.as_slice()],
            )
            .map_err(pg("reading a desk session"))?
            .map(|r| {
                Ok(DeskSessionRow {
                    token_hash: *token_hash,
                    login: col(&r, 0)?,
                    csrf: col(&r, 1)?,
                    started: col(&r, 2)?,
                    last_seen: col(&r, 3)?,
                })
            })
            .transpose()
    }

    fn touch_desk_session(&self, token_hash: &[u8; 32], at: i64) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "UPDATE desk_sessions SET last_seen = $2 WHERE token_hash = $1",
                &[&token_hash.as_slice(), &at],
            )
            .map(drop)
            .map_err(pg("marking a desk session used"))
    }

    fn drop_desk_session(&self, token_hash: &[u8; 32]) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "DELETE FROM desk_sessions WHERE token_hash = $1",
                &[&token_hash.as_slice()],
            )
            .map(drop)
            .map_err(pg("ending a desk session"))
    }

    fn add_desk_log(&self, row: &DeskLogRow) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO desk_log (kind, at, login, what, ok, source)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &row.kind.code(),
                    &row.at,
                    &row.login,
                    &row.what,
                    &row.ok,
                    &row.source,
                ],
            )
            .map(drop)
            .map_err(pg("writing a desk log line"))
    }

    fn desk_log(&self, kind: DeskLogKind, limit: u32) -> Result<Vec<DeskLogRow>, StorageError> {
        self.conn()?
            .query(
                "SELECT at, login, what, ok, source FROM desk_log WHERE kind = $1
                 ORDER BY id DESC LIMIT $2",
                &[&kind.code(), &i64::from(limit)],
            )
            .map_err(pg("reading a desk log"))?
            .iter()
            .map(|r| {
                Ok(DeskLogRow {
                    at: col(r, 0)?,
                    kind,
                    login: col(r, 1)?,
                    what: col(r, 2)?,
                    ok: col(r, 3)?,
                    source: col(r, 4)?,
                })
            })
            .collect()
    }
}
