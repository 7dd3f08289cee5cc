//! Pooled connections that prepare each statement once. A station runs the same few dozen
//! statements for ever; preparing each anew (what the client does for a query given as text)
//! cost a round trip more per statement, and parsing and planning was the largest part of the
//! database's time under load.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Error, NoTls, Row, Statement};
use r2d2_postgres::PostgresConnectionManager;

/// A connection and the statements prepared on it, by their text.
pub(crate) struct Client {
    inner: postgres::Client,
    prepared: HashMap<String, Statement>,
}

/// A statement's parameters.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Client {
    /// The statement `sql`, prepared on this connection the first time it is asked for.
    /// (Prepared statements outlive the transaction they were made in, even one rolled back.)
    fn prepared(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.inner.prepare(sql)?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql`, returning its rows.
    pub(crate) fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        let statement = self.prepared(sql)?;
        self.inner.query(&statement, params)
    }

    /// Runs `sql`, returning its one row if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, Error> {
        let statement = self.prepared(sql)?;
        self.inner.query_opt(&statement, params)
    }

    /// Runs `sql`, returning how many rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, Error> {
        let statement = self.prepared(sql)?;
        self.inner.execute(&statement, params)
    }

    /// Runs statements without parameters, as one text (transaction control, settings).
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.inner.batch_execute(sql)
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise (the
    /// connection goes back to the pool with none open).
    pub(crate) fn in_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.batch_execute("BEGIN")?;
        let done = f(self).and_then(|t| self.batch_execute("COMMIT").map(|()| t));
        if done.is_err() {
            let _ = self.batch_execute("ROLLBACK");
        }
        done
    }
}

/// The pool's manager: the connections of [`PostgresConnectionManager`], each with its own
/// prepared statements.
pub(crate) struct Manager(pub(crate) PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = Client;
    type Error = Error;

    fn connect(&self) -> Result<Client, Error> {
        Ok(Client {
            inner: self.0.connect()?,
            prepared: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Client) -> Result<(), Error> {
        self.0.is_valid(&mut conn.inner)
    }

    fn has_broken(&self, conn: &mut Client) -> bool {
        self.0.has_broken(&mut conn.inner)
    }
}
