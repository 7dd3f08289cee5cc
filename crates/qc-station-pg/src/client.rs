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
    /// How the server plans this connection's statements now.
    planning: Planning,
}

/// How the server plans a connection's prepared statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Planning {
    /// As configured (by default PostgreSQL plans each of a statement's first five calls for
    /// its values, then keeps one generic plan unless those cost less).
    Configured,
    /// One generic plan per statement from its first call (`plan_cache_mode =
    /// force_generic_plan`): for the devices' statements, made to be planned once (their
    /// arrays and switches hidden from the planner). The five plans made for values first were
    /// a twentieth of the machine's time when 1,000 devices synced with a station just started
    /// (and after a quiet spell, once its idle connections were closed).
    Once,
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

    /// Has the server plan this connection's statements as `planning` says, from the next
    /// one on (a setting of the session, so outside a transaction: a pooled connection is
    /// handed out with none open).
    pub(crate) fn plan(&mut self, planning: Planning) -> Result<(), Error> {
        if self.planning != planning {
            self.inner.batch_execute(match planning {
                Planning::Configured => "RESET plan_cache_mode",
                Planning::Once => "SET plan_cache_mode = force_generic_plan",
            })?;
            self.planning = planning;
        }
        Ok(())
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
            planning: Planning::Configured,
        })
    }

    fn is_valid(&self, conn: &mut Client) -> Result<(), Error> {
        self.0.is_valid(&mut conn.inner)
    }

    fn has_broken(&self, conn: &mut Client) -> bool {
        self.0.has_broken(&mut conn.inner)
    }
}
