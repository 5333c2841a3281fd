// Rows inserted without reading anything back, shared by both backends: `include!`d where
// `Db` and `SqlTx` are bound.
//
// An intake writes its ticket, its timeline entry, its SLA clock and the clock's first event,
// and queues its audit entries: five INSERTs whose outcome nobody reads. On PostgreSQL each
// statement is a round trip between a node and the server, and round trips were most of an
// intake's cost (docs/PERFORMANCE.md, "PostgreSQL: intake on two nodes"). So a transaction
// keeps such rows (`SqlTx::insert_row`) and sends them together, as one statement of
// data-modifying CTEs, just before its next statement or its COMMIT: whatever the transaction
// reads afterwards sees them, and a constraint they break fails that statement (the
// transaction then rolls back as it would have). Foreign keys between them hold: PostgreSQL
// checks a statement's foreign keys at its end, after every CTE has inserted. On SQLite the
// store is in the process and a statement costs no round trip: rows are inserted at once.

use super::Db;
use crate::convert::err;

/// A column's value in an [`Insert`].
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_string()))
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<&Option<String>> for Val {
    fn from(v: &Option<String>) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::Text(v.map(str::to_string))
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}

/// One row to insert: `INSERT INTO table (columns)` and its values in column order.
pub(crate) struct Insert {
    head: String,
    vals: Vec<Val>,
}

impl Insert {
    /// `columns` as written in the INSERT (`"id, ticket_id, at"`).
    pub(crate) fn new(table: &str, columns: &str) -> Self {
        Self {
            head: format!("INSERT INTO {table} ({columns})"),
            vals: Vec::with_capacity(columns.split(',').count()),
        }
    }

    /// The next column's value.
    pub(crate) fn val(mut self, v: impl Into<Val>) -> Self {
        self.vals.push(v.into());
        self
    }

    /// `($k, …)`, numbered from `first`.
    fn values_from(&self, first: usize) -> String {
        let marks: Vec<String> = (first..first + self.vals.len())
            .map(|i| format!("${i}"))
            .collect();
        format!("({})", marks.join(", "))
    }
}

/// Binds `row`'s values, in column order, to `q` (a statement written for them elsewhere:
/// a bulk INSERT, an UPDATE of every column).
pub(crate) fn bind_row<'q>(
    mut q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    row: Insert,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    for v in row.vals {
        q = match v {
            Val::Text(t) => q.bind(t),
            Val::Int(i) => q.bind(i),
        };
    }
    q
}

/// The statement that inserts `rows`: one INSERT, or CTEs for all but the last. Rows of one
/// table kept one after another share one INSERT, in their order (the audit queue's positions
/// follow the order its entries were appended in).
pub(crate) fn rows_statement(rows: &[Insert]) -> String {
    // (head, the VALUES tuples) of each INSERT.
    let mut inserts: Vec<(&str, Vec<String>)> = Vec::new();
    let mut next = 1;
    for row in rows {
        let tuple = row.values_from(next);
        next += row.vals.len();
        match inserts.last_mut() {
            Some((head, tuples)) if *head == row.head => tuples.push(tuple),
            _ => inserts.push((&row.head, vec![tuple])),
        }
    }
    let last = inserts.len().saturating_sub(1);
    let mut sql = String::new();
    for (i, (head, tuples)) in inserts.iter().enumerate() {
        let insert = format!("{head} VALUES {}", tuples.join(", "));
        if i == last {
            if i > 0 {
                sql.push(' ');
            }
            sql.push_str(&insert);
        } else {
            sql.push_str(if i == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("r{i} AS ({insert})"));
        }
    }
    sql
}

/// Runs [`rows_statement`] of `rows` on `conn`.
pub(crate) async fn insert_rows(
    conn: &mut <Db as sqlx::Database>::Connection,
    rows: &[Insert],
) -> Result<(), tripdesk_store::StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = rows_statement(rows);
    let mut q = sqlx::query(&sql);
    for v in rows.iter().flat_map(|r| &r.vals) {
        q = match v {
            Val::Text(t) => q.bind(t.as_deref()),
            Val::Int(i) => q.bind(*i),
        };
    }
    q.execute(conn).await.map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_one_statement_numbered_in_order() {
        let rows = vec![
            Insert::new("a", "x, y").val(1).val("p"),
            Insert::new("b", "z").val(Some(2)),
            Insert::new("b", "z").val(Some(3)),
            Insert::new("c", "u, v").val(None::<String>).val(3),
        ];
        assert_eq!(
            rows_statement(&rows),
            "WITH r0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), \
             r1 AS (INSERT INTO b (z) VALUES ($3), ($4)) INSERT INTO c (u, v) VALUES ($5, $6)"
        );
        assert_eq!(
            rows_statement(&rows[..1]),
            "INSERT INTO a (x, y) VALUES ($1, $2)"
        );
    }
}
