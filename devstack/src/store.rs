//! The devstack's database: one SQLite file per state directory holding the service keys and CA
//! certificates (`meta`), issued-certificate serials, and the whole transparency log — entries, the
//! hashes of every complete Merkle subtree, and the search index.
//!
//! Every append is one transaction committed with `synchronous=FULL` before the caller answers, so
//! an acknowledged entry survives a killed process. An append writes O(log n) rows and a proof
//! reads O(log n) rows (see [`gitsign_protocol::merkle`]).

use gitsign_protocol::merkle::{self, Hash, SubtreeStore};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// A failure of the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or set up.
    #[error("cannot open the state database {path}: {source}")]
    Open {
        /// Database path.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("state database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A row holds something the devstack never writes.
    #[error("state database is corrupt: {0}")]
    Corrupt(String),
}

type Result<T> = std::result::Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (log_index INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL, integrated_time INTEGER NOT NULL, set_signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS search (key TEXT NOT NULL, log_index INTEGER NOT NULL,
    PRIMARY KEY (key, log_index)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS certificates (serial BLOB PRIMARY KEY, issued_at INTEGER NOT NULL,
    identity TEXT NOT NULL, issuer TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timestamps (imprint BLOB NOT NULL, gen_time INTEGER NOT NULL,
    PRIMARY KEY (imprint, gen_time)) WITHOUT ROWID;
";

/// The `meta` key recording which derivation of search keys the `search` table holds (see
/// [`Store::backfill_search`]).
pub const SEARCH_INDEX_VERSION: &str = "search_index_version";

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Canonical JSON body.
    pub body: Vec<u8>,
    /// Seconds since the epoch.
    pub integrated_time: i64,
    /// Search keys (`sha256:<hex>`, `email:<addr>`, `uri:<uri>`, `key:<hex>`).
    pub search_keys: Vec<String>,
}

/// A logged entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the log.
    pub log_index: u64,
    /// Canonical JSON body.
    pub body: Vec<u8>,
    /// Seconds since the epoch.
    pub integrated_time: i64,
    /// Signed entry timestamp.
    pub set_signature: Vec<u8>,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The entry is new, at this index.
    New(u64),
    /// An equal body was logged before, at this index.
    Duplicate(u64),
}

/// The database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

struct Nodes<'a>(&'a Connection);

impl SubtreeStore for Nodes<'_> {
    type Error = StoreError;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash> {
        let mut stmt = self.0.prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")?;
        let blob: Option<Vec<u8>> = stmt.query_row(params![level, index as i64], |r| r.get(0)).optional()?;
        let blob = blob.ok_or_else(|| StoreError::Corrupt(format!("missing tree node ({level}, {index})")))?;
        Hash::try_from(blob.as_slice())
            .map_err(|_| StoreError::Corrupt(format!("tree node ({level}, {index}) is not 32 bytes")))
    }
}

fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative index {v}")))
}

impl Store {
    /// Opens (creating if needed) the database for reading and writing.
    pub fn open(path: &Path) -> Result<Self> {
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        let conn = open().map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Ok(Store { conn })
    }

    /// Opens an existing database read-only (for `token` and `env` beside a running devstack).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .and_then(|c| c.busy_timeout(std::time::Duration::from_secs(5)).map(|()| c))
                .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Ok(Store { conn })
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Sets a value of the `meta` table.
    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.durable()?;
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }

    /// Records an issued certificate's serial; false if the serial was issued before.
    pub fn record_certificate(&self, serial: &[u8], issued_at: i64, identity: &str, issuer: &str) -> Result<bool> {
        self.durable()?;
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO certificates (serial, issued_at, identity, issuer) VALUES (?1, ?2, ?3, ?4)",
            params![serial, issued_at, identity, issuer],
        )?;
        Ok(n == 1)
    }

    /// Makes the next commit synced to disk before it returns (`synchronous=FULL`, the store's
    /// setting, which [`Store::record_timestamp`] lowers for its own commit).
    fn durable(&self) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", "FULL")?)
    }

    /// Records that the timestamp authority stamped the SHA-256 `imprint` at `gen_time`
    /// (seconds): the explorer shows it for a Rekor v2 entry, which has no integrated time.
    ///
    /// Not synced to disk on its own (`synchronous=NORMAL` for this one commit): the record only
    /// serves the explorer, and the next synced commit to this database (a v1 entry, an issued
    /// certificate) carries it; a power cut before then loses one record, not a log entry. A
    /// timestamp is requested beside every v1 append, so a synced commit here held the store's
    /// lock through a second disk sync per signature. Every commit that must be durable sets
    /// `synchronous=FULL` itself ([`Store::durable`]), so a failure here cannot leave it off.
    pub fn record_timestamp(&self, imprint: &[u8; 32], gen_time: i64) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let inserted = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO timestamps (imprint, gen_time) VALUES (?1, ?2)")
            .and_then(|mut stmt| stmt.execute(params![&imprint[..], gen_time]));
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        inserted?;
        Ok(())
    }

    /// The times the timestamp authority stamped `imprint`, earliest first.
    pub fn timestamps_of(&self, imprint: &[u8; 32]) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT gen_time FROM timestamps WHERE imprint = ?1 ORDER BY gen_time LIMIT 100")?;
        let rows = stmt.query_map([&imprint[..]], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
    }

    /// Number of certificates issued.
    pub fn certificates_issued(&self) -> Result<u64> {
        to_u64(self.conn.query_row("SELECT COUNT(*) FROM certificates", [], |r| r.get(0))?)
    }

    /// Number of entries in the log.
    pub fn tree_size(&self) -> Result<u64> {
        tree_size(&self.conn)
    }

    /// Root hash of the tree of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash> {
        merkle::root(&Nodes(&self.conn), size)
    }

    /// Audit path of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        merkle::inclusion_proof(&Nodes(&self.conn), index, size)
    }

    /// Consistency proof between two tree sizes.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>> {
        merkle::consistency_proof(&Nodes(&self.conn), first, second)
    }

    /// Appends entries in one transaction (one disk sync for all of them). `sign_set` makes the
    /// signed entry timestamp of an entry given its index. Bodies already in the log, or repeated
    /// within `entries`, are not appended again.
    pub fn append<E>(
        &mut self,
        entries: &[NewEntry],
        mut sign_set: impl FnMut(u64, &NewEntry) -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<Vec<Appended>, AppendError<E>> {
        self.durable()?;
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut size = tree_size(&tx)?;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let leaf = merkle::leaf_hash(&entry.body);
            let existing: Option<i64> = tx
                .prepare_cached("SELECT log_index FROM entries WHERE uuid = ?1")
                .and_then(|mut s| s.query_row([&leaf[..]], |r| r.get(0)).optional())
                .map_err(StoreError::from)?;
            if let Some(index) = existing {
                out.push(Appended::Duplicate(to_u64(index)?));
                continue;
            }
            let set = sign_set(size, entry).map_err(AppendError::Sign)?;
            let nodes = merkle::append_nodes(&Nodes(&tx), size, leaf)?;
            {
                let mut put = tx
                    .prepare_cached("INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
                    .map_err(StoreError::from)?;
                for (level, idx, hash) in nodes {
                    put.execute(params![level, idx as i64, &hash[..]]).map_err(StoreError::from)?;
                }
                tx.prepare_cached(
                    "INSERT INTO entries (log_index, uuid, body, integrated_time, set_signature) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(params![size as i64, &leaf[..], &entry.body, entry.integrated_time, set]))
                .map_err(StoreError::from)?;
                let mut index = tx
                    .prepare_cached("INSERT OR IGNORE INTO search (key, log_index) VALUES (?1, ?2)")
                    .map_err(StoreError::from)?;
                for key in &entry.search_keys {
                    index.execute(params![key, size as i64]).map_err(StoreError::from)?;
                }
            }
            out.push(Appended::New(size));
            size += 1;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// The entry at `index`.
    pub fn entry(&self, index: u64) -> Result<Option<StoredEntry>> {
        let row = self
            .conn
            .prepare_cached("SELECT body, integrated_time, set_signature FROM entries WHERE log_index = ?1")?
            .query_row([index as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(row.map(|(body, integrated_time, set_signature)| StoredEntry {
            log_index: index,
            body,
            integrated_time,
            set_signature,
        }))
    }

    /// Index of the entry with this UUID (leaf hash).
    pub fn index_of(&self, uuid: &Hash) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT log_index FROM entries WHERE uuid = ?1")?
            .query_row([&uuid[..]], |r| r.get(0))
            .optional()?;
        v.map(to_u64).transpose()
    }

    /// The `limit` latest entries before index `before` (all entries when `None`), newest first:
    /// one range read of the primary key, however long the log.
    pub fn latest(&self, before: Option<u64>, limit: u64) -> Result<Vec<StoredEntry>> {
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut stmt = self.conn.prepare_cached(
            "SELECT log_index, body, integrated_time, set_signature FROM entries WHERE log_index < ?1 \
             ORDER BY log_index DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.map(|r| {
            let (index, body, integrated_time, set_signature) = r?;
            Ok(StoredEntry { log_index: to_u64(index)?, body, integrated_time, set_signature })
        })
        .collect()
    }

    /// Fills the search index from the logged bodies when it was built by another version of the
    /// key derivation (`version`; an older devstack's state directory, or one from before a kind
    /// of key existed): every entry's keys, as `keys_of` derives them from its body, are added in
    /// one transaction, then `version` is recorded so the next open skips the scan. Returns the
    /// number of entries read (0 when the index was current).
    pub fn backfill_search(&mut self, version: &str, keys_of: impl Fn(&[u8]) -> Vec<String>) -> Result<u64> {
        if self.meta(SEARCH_INDEX_VERSION)?.as_deref() == Some(version.as_bytes()) {
            return Ok(0);
        }
        self.durable()?;
        let tx = self.conn.transaction()?;
        let mut read = 0u64;
        {
            let mut rows = tx.prepare("SELECT log_index, body FROM entries ORDER BY log_index")?;
            let mut put = tx.prepare("INSERT OR IGNORE INTO search (key, log_index) VALUES (?1, ?2)")?;
            let mut it = rows.query([])?;
            while let Some(row) = it.next()? {
                let index: i64 = row.get(0)?;
                let body: Vec<u8> = row.get(1)?;
                for key in keys_of(&body) {
                    put.execute(params![key, index])?;
                }
                read += 1;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![SEARCH_INDEX_VERSION, version.as_bytes()],
        )?;
        tx.commit()?;
        Ok(read)
    }

    /// A page of the entries under search key `key`, newest first: the `limit` latest before
    /// index `before` (all when `None`), and how many the key has in all. Two reads of the
    /// index's primary key (the count, and a range joined to the entries), however long the log.
    pub fn search_page(&self, key: &str, before: Option<u64>, limit: u64) -> Result<(Vec<StoredEntry>, u64)> {
        let total: i64 =
            self.conn.prepare_cached("SELECT COUNT(*) FROM search WHERE key = ?1")?.query_row([key], |r| r.get(0))?;
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.log_index, e.body, e.integrated_time, e.set_signature FROM search s \
             JOIN entries e ON e.log_index = s.log_index WHERE s.key = ?1 AND s.log_index < ?2 \
             ORDER BY s.log_index DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![key, before, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        let page = rows
            .map(|r| {
                let (index, body, integrated_time, set_signature) = r?;
                Ok(StoredEntry { log_index: to_u64(index)?, body, integrated_time, set_signature })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((page, to_u64(total)?))
    }

    /// Indexes of entries under a search key, ascending.
    pub fn search(&self, key: &str) -> Result<Vec<u64>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT log_index FROM search WHERE key = ?1 ORDER BY log_index LIMIT 10000")?;
        let rows = stmt.query_map([key], |r| r.get::<_, i64>(0))?;
        rows.map(|r| to_u64(r?)).collect()
    }
}

fn tree_size(conn: &Connection) -> Result<u64> {
    let v: i64 = conn.query_row("SELECT COALESCE(MAX(log_index) + 1, 0) FROM entries", [], |r| r.get(0))?;
    to_u64(v)
}

/// Failure of an append.
#[derive(Debug, thiserror::Error)]
pub enum AppendError<E> {
    /// The database failed; nothing was appended.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing the entry timestamp failed; nothing was appended.
    #[error("signing the entry timestamp failed")]
    Sign(E),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_reopening_and_duplicates_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let entry = |i: u32| NewEntry {
            body: i.to_be_bytes().to_vec(),
            integrated_time: 1,
            search_keys: vec![format!("k:{}", i % 2)],
        };
        let ok = |_: u64, _: &NewEntry| Ok::<_, ()>(vec![1]);
        let root = {
            let mut store = Store::open(&path).unwrap();
            for i in 0..10 {
                assert_eq!(store.append(&[entry(i)], ok).unwrap(), vec![Appended::New(i as u64)]);
            }
            assert_eq!(store.append(&[entry(3)], ok).unwrap(), vec![Appended::Duplicate(3)]);
            store.root(10).unwrap()
        };
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.tree_size().unwrap(), 10);
        assert_eq!(store.root(10).unwrap(), root);
        assert_eq!(
            store.append(&[entry(10), entry(10)], ok).unwrap(),
            vec![Appended::New(10), Appended::Duplicate(10)]
        );
        assert_eq!(store.search("k:1").unwrap(), vec![1, 3, 5, 7, 9]);
        let leaf = merkle::leaf_hash(&entry(4).body);
        assert_eq!(store.index_of(&leaf).unwrap(), Some(4));
        let proof = store.inclusion_proof(4, 11).unwrap();
        merkle::verify_inclusion(4, 11, &leaf, &proof, &store.root(11).unwrap()).unwrap();
        let latest: Vec<u64> = store.latest(None, 3).unwrap().iter().map(|e| e.log_index).collect();
        assert_eq!(latest, vec![10, 9, 8]);
        let page: Vec<u64> = store.latest(Some(2), 5).unwrap().iter().map(|e| e.log_index).collect();
        assert_eq!(page, vec![1, 0]);
        // A failed signature appends nothing.
        assert!(store.append(&[entry(11)], |_, _| Err::<Vec<u8>, _>("no")).is_err());
        assert_eq!(store.tree_size().unwrap(), 11);
    }

    #[test]
    fn an_index_of_an_older_version_is_backfilled_once_from_the_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let ok = |_: u64, _: &NewEntry| Ok::<_, ()>(vec![1]);
        let keys_of = |body: &[u8]| vec![format!("body:{}", String::from_utf8_lossy(body))];
        {
            // Logged by a devstack whose index knew no `body:` keys.
            let mut store = Store::open(&path).unwrap();
            let old = |b: &str| NewEntry { body: b.as_bytes().to_vec(), integrated_time: 1, search_keys: vec![] };
            store.append(&[old("a"), old("b"), old("c")], ok).unwrap();
            assert_eq!(store.search("body:b").unwrap(), Vec::<u64>::new());
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.backfill_search("v2", keys_of).unwrap(), 3);
        assert_eq!(store.search("body:b").unwrap(), vec![1]);
        assert_eq!(store.search("body:c").unwrap(), vec![2]);
        // Current now: the next open reads nothing, and new entries are indexed as they are logged.
        assert_eq!(store.backfill_search("v2", keys_of).unwrap(), 0);
        let new = NewEntry { body: b"d".to_vec(), integrated_time: 2, search_keys: keys_of(b"d") };
        store.append(&[new], ok).unwrap();
        assert_eq!(store.search("body:d").unwrap(), vec![3]);
        // A later derivation is applied again, over every entry.
        assert_eq!(store.backfill_search("v3", keys_of).unwrap(), 4);
    }
}
