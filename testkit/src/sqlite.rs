//! Reading an SQLite file another process writes (the Connect runtime's mirrors), as a context
//! that owns it would: each column as text.

use std::path::Path;
use std::time::Duration;

/// A connection to an SQLite file; the file is created when missing (its writer creates the
/// tables).
pub struct SqliteFile {
    conn: libsql::Connection,
}

impl SqliteFile {
    pub async fn open(path: &Path) -> SqliteFile {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let db = libsql::Builder::new_local(path).build().await.unwrap();
        let conn = db.connect().unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        SqliteFile { conn }
    }

    /// The rows `sql` selects with `params`, each column as text (`None` for NULL); none while
    /// the table does not exist yet.
    pub async fn rows(&self, sql: &str, params: Vec<String>) -> Vec<Vec<Option<String>>> {
        let mut rows = match self.conn.query(sql, params).await {
            Ok(rows) => rows,
            Err(e) if e.to_string().contains("no such table") => return Vec::new(),
            Err(e) => panic!("{sql}: {e}"),
        };
        let columns = rows.column_count();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            out.push(
                (0..columns)
                    .map(|i| match row.get_value(i).unwrap() {
                        libsql::Value::Null => None,
                        libsql::Value::Integer(n) => Some(n.to_string()),
                        libsql::Value::Real(r) => Some(r.to_string()),
                        libsql::Value::Text(t) => Some(t),
                        libsql::Value::Blob(b) => Some(format!("{b:?}")),
                    })
                    .collect(),
            );
        }
        out
    }
}
