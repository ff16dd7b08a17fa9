//! [`VersionedStore`]: a record-store [`Store`] whose records carry versions and stamps,
//! committed optimistically.

use std::path::Path;
use std::sync::Arc;

use record_store::{ChangeSet, Record, Store, Transaction};
use sdn_codec::{Map, Value};

use crate::conflict::{Conflict, KeptConflict, Side, value_text};
use crate::error::{Error, RecordProblem, Result};
use crate::hlc::{Hlc, Stamp};
use crate::meta::{Columns, Meta};
use crate::options::Options;
use crate::row::{self, Row, RowFailure};
use crate::stamp::Stamper;
use crate::strategy::{self, Decision, Fallback, Strategy, Winner};

/// A record as read, with its metadata: the base of an optimistic commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The record.
    pub record: T,
    /// Its version, stamp and tombstone.
    pub meta: Meta,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed<T> {
    /// The record as it now stands in the file.
    pub record: Versioned<T>,
    /// Whether this commit wrote anything (`false` when the other writer's commit was
    /// kept).
    pub written: bool,
    /// The conflict that was detected, when another writer had committed meanwhile.
    pub conflict: Option<Box<Conflict>>,
    /// How the strategy resolved it (`None` without conflict).
    pub winner: Option<Winner>,
    /// Field conflicts kept in the conflicts table by [`Fallback::Keep`].
    pub kept: Vec<KeptConflict>,
}

/// What this writer wants to do to a record.
enum Intent<T> {
    Put(T),
    Delete,
}

/// A versioned SDN record store. Cheap to share between threads (`&self` methods).
///
/// Reads take no lock. [`VersionedStore::commit_if`] runs under the store's writer
/// lock: it compares the version the caller read with the file's, and on a mismatch the
/// strategy decides.
#[derive(Debug)]
pub struct VersionedStore {
    store: Store,
    stamper: Arc<Stamper>,
}

/// The outcome of a strategy, before writing.
struct Plan {
    target: Option<Side>,
    winner: Winner,
    conflict_fields: Vec<String>,
    kept: Vec<KeptConflict>,
}

impl VersionedStore {
    /// Opens the store at `path` (a missing file is an empty store) and recovers the
    /// clock from the latest stamp in it, so stamps keep increasing across restarts.
    ///
    /// Every commit through this store, including plain record-store transactions made
    /// through [`VersionedStore::store`], passes its pre-commit hook, which stamps each
    /// changed record (version + 1, a fresh stamp), checks changes that carry their own
    /// metadata, and keeps removed records as tombstones.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let stamper = Stamper::new(path, options);
        let hook = Arc::clone(&stamper);
        let store =
            Store::open(path)?.with_pre_commit(move |tx, changes| hook.on_commit(tx, changes));
        let versioned = VersionedStore { store, stamper };
        if let Some(latest) = versioned.latest_stamp()? {
            versioned.hlc().recover(&latest);
        }
        Ok(versioned)
    }

    /// The record store underneath, with this store's stamping hook: a plain
    /// record-store transaction through it is stamped like any versioned commit (its
    /// record type must carry the version columns, else the commit is vetoed with
    /// [`Error::Unstamped`], wrapped in [`record_store::Error::Aborted`]).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// This store's clock.
    pub fn hlc(&self) -> &Hlc {
        &self.stamper.hlc
    }

    /// The settings.
    pub fn options(&self) -> &Options {
        self.stamper.options()
    }

    pub(crate) fn columns(&self, table: &str) -> &Columns {
        &self.options().table_options(table).columns
    }

    /// The latest stamp in any table of the file.
    fn latest_stamp(&self) -> Result<Option<Stamp>> {
        let snapshot = self.store.read()?;
        let Some(root) = snapshot.document()?.as_dict() else {
            return Ok(None);
        };
        let columns = |table: &str| self.columns(table).last_modified.as_str();
        Ok(crate::stamp::latest_stamps(root, columns)
            .map(|(_, stamp)| stamp)
            .max())
    }

    /// The record with `key` (`None` when absent or deleted). Takes no lock.
    pub fn get<T: Record>(&self, key: &T::Key) -> Result<Option<Versioned<T>>> {
        Ok(self.get_with_tombstone(key)?.filter(|v| !v.meta.deleted))
    }

    /// The record with `key`, a tombstone included (its last values, `meta.deleted`
    /// set). Takes no lock.
    pub fn get_with_tombstone<T: Record>(&self, key: &T::Key) -> Result<Option<Versioned<T>>> {
        let columns = self.columns(T::TABLE);
        Ok(self
            .store
            .read()?
            .table::<Row<T>>()?
            .get(key)
            .map(|row| versioned(row, columns)))
    }

    /// Every live record of table `T::TABLE`, in key order. Takes no lock.
    pub fn list<T: Record>(&self) -> Result<Vec<Versioned<T>>> {
        let columns = self.columns(T::TABLE);
        Ok(self
            .store
            .read()?
            .table::<Row<T>>()?
            .iter()
            .map(|row| versioned(row, columns))
            .filter(|v| !v.meta.deleted)
            .collect())
    }

    /// Adds a new record (version 1). Another writer's record with the same key is a
    /// conflict for the strategy (base: absent); a tombstone is replaced.
    pub fn insert<T: Record>(&self, record: T) -> Result<Committed<T>> {
        let key = record.key();
        self.commit(key, None, Intent::Put(record), None)
    }

    /// Commits `ours` as the new value of the record read as `base`, if nobody changed
    /// it since; otherwise the table's (or store's) strategy decides.
    pub fn commit_if<T: Record>(&self, base: &Versioned<T>, ours: T) -> Result<Committed<T>> {
        self.commit(base.record.key(), Some(base), Intent::Put(ours), None)
    }

    /// [`VersionedStore::commit_if`] with the strategy given for this call.
    pub fn commit_if_with<T: Record>(
        &self,
        base: &Versioned<T>,
        ours: T,
        strategy: &Strategy,
    ) -> Result<Committed<T>> {
        self.commit(
            base.record.key(),
            Some(base),
            Intent::Put(ours),
            Some(strategy),
        )
    }

    /// Deletes the record read as `base` (it becomes a tombstone), if nobody changed it
    /// since; otherwise the strategy decides.
    pub fn delete_if<T: Record>(&self, base: &Versioned<T>) -> Result<Committed<T>> {
        self.commit(base.record.key(), Some(base), Intent::Delete, None)
    }

    /// [`VersionedStore::delete_if`] with the strategy given for this call.
    pub fn delete_if_with<T: Record>(
        &self,
        base: &Versioned<T>,
        strategy: &Strategy,
    ) -> Result<Committed<T>> {
        self.commit(
            base.record.key(),
            Some(base),
            Intent::Delete,
            Some(strategy),
        )
    }

    /// Fails when table `table` has rows but lacks a metadata column.
    pub(crate) fn check_migrated(&self, root: &Value, table: &str) -> Result<()> {
        let Some(found) = root.get(table).and_then(Value::as_table) else {
            return Ok(());
        };
        let missing: Vec<String> = self
            .columns(table)
            .names()
            .into_iter()
            .filter(|name| found.column_index(name).is_none())
            .map(str::to_owned)
            .collect();
        if missing.is_empty() || found.rows.is_empty() {
            Ok(())
        } else {
            Err(Error::NotMigrated {
                path: self.path().to_path_buf(),
                table: table.to_owned(),
                missing,
            })
        }
    }

    fn record_error(&self, table: &str, key: &str, (problem, source): RowFailure) -> Error {
        Error::Record {
            path: self.path().to_path_buf(),
            table: table.to_owned(),
            key: key.to_owned(),
            problem,
            source,
        }
    }

    fn commit<T: Record>(
        &self,
        key: T::Key,
        base: Option<&Versioned<T>>,
        intent: Intent<T>,
        strategy: Option<&Strategy>,
    ) -> Result<Committed<T>> {
        let strategy = strategy.unwrap_or_else(|| self.options().strategy_for(T::TABLE));
        let columns = self.columns(T::TABLE);
        let key_text = key.to_string();
        let encode = |record: &T| {
            row::encode(record).map_err(|failure| self.record_error(T::TABLE, &key_text, failure))
        };
        let base_side = match base {
            Some(base) => Side {
                fields: encode(&base.record)?,
                wall_ms: base.meta.stamp.as_ref().map_or(0, |s| s.ms),
                meta: base.meta.clone(),
            },
            None => absent_side(),
        };
        let ours_fields = match &intent {
            Intent::Put(record) => {
                if record.key() != key {
                    return Err(self.record_error(
                        T::TABLE,
                        &key_text,
                        (
                            RecordProblem::KeyChanged {
                                new_key: record.key().to_string(),
                            },
                            None,
                        ),
                    ));
                }
                encode(record)?
            }
            Intent::Delete => base_side.fields.clone(),
        };
        let committed = self.store.commit(|tx| {
            self.check_migrated(tx.document()?, T::TABLE)?;
            let current = tx.table::<Row<T>>()?.get(&key).cloned();
            let theirs = match &current {
                Some(row) => {
                    let meta = Meta::read(&row.cells, columns);
                    if let Some(stamp) = &meta.stamp {
                        self.stamper.observe(stamp, T::TABLE)?;
                    }
                    Side {
                        fields: encode(&row.record)?,
                        wall_ms: meta.stamp.as_ref().map_or(0, |s| s.ms),
                        meta,
                    }
                }
                None => absent_side(),
            };
            let deleted = matches!(intent, Intent::Delete);
            let clean = theirs.meta.version == base_side.meta.version
                || (base.is_none() && (current.is_none() || theirs.meta.deleted));
            // Without a conflict the hook stamps what is written. With one, ours gets
            // its stamp now: the strategies compare it, and kept candidates name it.
            let ours = Side {
                fields: ours_fields,
                meta: match clean {
                    true => Meta {
                        deleted,
                        ..theirs.meta.clone()
                    },
                    false => self.stamper.next(&theirs.meta, deleted),
                },
                wall_ms: self.hlc().clock().now_ms(),
            };
            if clean {
                let record = self.write(tx, &key_text, current, &theirs, &ours, false)?;
                return Ok(Committed {
                    record,
                    written: true,
                    conflict: None,
                    winner: None,
                    kept: Vec::new(),
                });
            }
            let mut conflict = Conflict {
                path: self.path().to_path_buf(),
                table: T::TABLE.to_owned(),
                key: key_text.clone(),
                base: base_side.clone(),
                ours,
                theirs,
                fields: Vec::new(),
            };
            let plan = self.plan(strategy, &mut conflict, columns)?;
            let record = match &plan.target {
                // Kept candidates name ours' stamp: the row must carry that stamp.
                Some(target) => {
                    let explicit = !plan.kept.is_empty();
                    self.write(tx, &key_text, current, &conflict.theirs, target, explicit)?
                }
                None => match current {
                    Some(row) => versioned(&row, columns),
                    None => {
                        return Err(self.record_error(
                            T::TABLE,
                            &key_text,
                            (RecordProblem::KeptMissing, None),
                        ));
                    }
                },
            };
            if !plan.kept.is_empty() {
                let kept = tx.table::<KeptConflict>()?;
                for entry in &plan.kept {
                    kept.upsert(entry.clone());
                }
            }
            conflict.fields = plan.conflict_fields;
            Ok(Committed {
                record,
                written: plan.target.is_some(),
                conflict: Some(Box::new(conflict)),
                winner: Some(plan.winner),
                kept: plan.kept,
            })
        })?;
        Ok(settle(committed, T::TABLE, &key_text, columns))
    }

    /// Decides a conflict: the side to write (`None`: keep theirs), or an error.
    fn plan(
        &self,
        strategy: &Strategy,
        conflict: &mut Conflict,
        columns: &Columns,
    ) -> Result<Plan> {
        let pick = |ours_wins: bool| Plan {
            target: ours_wins.then(|| conflict.ours.clone()),
            winner: if ours_wins {
                Winner::Ours
            } else {
                Winner::Theirs
            },
            conflict_fields: Vec::new(),
            kept: Vec::new(),
        };
        match strategy {
            Strategy::LastWriteWins => Ok(pick(strategy::ours_is_later(
                &conflict.ours,
                &conflict.theirs,
            ))),
            Strategy::LastModifiedWins => Ok(pick(strategy::ours_modified_later(
                &conflict.ours,
                &conflict.theirs,
            ))),
            Strategy::Error => Err(Error::Conflict(Box::new(conflict.clone()))),
            Strategy::Callback(resolve) => match resolve(conflict) {
                Decision::Ours => Ok(pick(true)),
                Decision::Theirs => Ok(pick(false)),
                Decision::Fields(fields) => {
                    let mut target = conflict.ours.clone();
                    target.fields = fields;
                    Ok(Plan {
                        target: Some(target),
                        winner: Winner::Merged,
                        conflict_fields: Vec::new(),
                        kept: Vec::new(),
                    })
                }
                Decision::Reject(reason) => Err(Error::Rejected {
                    path: conflict.path.clone(),
                    table: conflict.table.clone(),
                    key: conflict.key.clone(),
                    reason,
                }),
            },
            Strategy::Merge(fallback) => self.plan_merge(*fallback, conflict, columns),
        }
    }

    fn plan_merge(
        &self,
        fallback: Fallback,
        conflict: &mut Conflict,
        columns: &Columns,
    ) -> Result<Plan> {
        let (base, ours, theirs) = (&conflict.base, &conflict.ours, &conflict.theirs);
        let merge = strategy::merge_fields(&base.fields, &ours.fields, &theirs.fields, |_| false);
        let mut fields = merge.conflicts;
        let ours_deletes = ours.meta.deleted != base.meta.deleted;
        let theirs_deletes = theirs.meta.deleted != base.meta.deleted;
        let ours_edits = ours.fields != base.fields;
        let theirs_edits = theirs.fields != base.fields;
        let deleted_conflict = ours.meta.deleted != theirs.meta.deleted
            && ((ours_deletes && theirs_edits) || (theirs_deletes && ours_edits));
        if deleted_conflict {
            fields.push(columns.deleted.clone());
        }
        let mut target = ours.clone();
        target.fields = merge.merged;
        target.meta.deleted = if ours_deletes {
            ours.meta.deleted
        } else {
            theirs.meta.deleted
        };
        if fields.is_empty() {
            return Ok(Plan {
                target: Some(target),
                winner: Winner::Merged,
                conflict_fields: fields,
                kept: Vec::new(),
            });
        }
        let ours_wins = match fallback {
            Fallback::Error => {
                conflict.fields = fields;
                return Err(Error::Conflict(Box::new(conflict.clone())));
            }
            Fallback::LastWriteWins | Fallback::Keep => strategy::ours_is_later(ours, theirs),
            Fallback::LastModifiedWins => strategy::ours_modified_later(ours, theirs),
        };
        let winner = if ours_wins { ours } else { theirs };
        let mut kept = Vec::new();
        for name in &fields {
            if *name == columns.deleted {
                target.meta.deleted = winner.meta.deleted;
            } else if let Some(value) = winner.fields.get(name) {
                target.fields.insert(name.as_str(), value.clone());
            }
            if fallback == Fallback::Keep {
                for side in [ours, theirs] {
                    let value = if *name == columns.deleted {
                        Value::from(side.meta.deleted)
                    } else {
                        side.fields
                            .get(name)
                            .cloned()
                            .unwrap_or_else(row::empty_cell)
                    };
                    kept.push(KeptConflict {
                        table: conflict.table.clone(),
                        key: conflict.key.clone(),
                        field: name.clone(),
                        value: value_text(&value),
                        stamp: side
                            .meta
                            .stamp
                            .as_ref()
                            .map_or_else(String::new, ToString::to_string),
                    });
                }
            }
        }
        Ok(Plan {
            target: Some(target),
            winner: Winner::Merged,
            conflict_fields: fields,
            kept,
        })
    }

    /// Writes `target` over the row `current` (whose fields are `theirs.fields`),
    /// changing only the cells that differ. With `explicit_meta`, the row carries
    /// `target`'s version and stamp (the hook checks them); otherwise it keeps theirs, so
    /// the hook stamps it as a plain change.
    fn write<T: Record>(
        &self,
        tx: &mut Transaction,
        key: &str,
        current: Option<Row<T>>,
        theirs: &Side,
        target: &Side,
        explicit_meta: bool,
    ) -> Result<Versioned<T>> {
        let columns = self.columns(T::TABLE);
        let mut cells = current.map(|row| row.cells).unwrap_or_default();
        for (name, value) in target.fields.iter() {
            if theirs.fields.get(name) != Some(value) || !cells.contains_key(name) {
                cells.insert(name, value.clone());
            }
        }
        let meta = if explicit_meta {
            target.meta.clone()
        } else {
            Meta {
                deleted: target.meta.deleted,
                ..theirs.meta.clone()
            }
        };
        meta.write(&mut cells, columns);
        let record: T =
            row::decode(&cells).map_err(|failure| self.record_error(T::TABLE, key, failure))?;
        let written = Versioned {
            record: record.clone(),
            meta,
        };
        tx.table::<Row<T>>()?.upsert(Row { record, cells });
        Ok(written)
    }

    /// Kept field conflicts, in order of table, key, field and stamp. Takes no lock.
    pub fn conflicts(&self) -> Result<Vec<KeptConflict>> {
        Ok(self
            .store
            .read()?
            .table::<KeptConflict>()?
            .iter()
            .cloned()
            .collect())
    }

    /// Resolves the kept conflict on field `field` of record `key`: writes `value`
    /// into the record as a new version (stamped and versioned like any change) and
    /// removes the field's kept candidates, in one commit.
    pub fn resolve<T: Record>(
        &self,
        key: &T::Key,
        field: &str,
        value: Value,
    ) -> Result<Committed<T>> {
        let columns = self.columns(T::TABLE);
        let key_text = key.to_string();
        let committed = self.store.commit(|tx| {
            let kept = tx.table::<KeptConflict>()?;
            let matching: Vec<String> = kept
                .iter()
                .filter(|c| c.table == T::TABLE && c.key == key_text && c.field == field)
                .map(Record::key)
                .collect();
            if matching.is_empty() {
                return Err(Error::NoSuchConflict {
                    path: self.path().to_path_buf(),
                    table: T::TABLE.to_owned(),
                    key: key_text.clone(),
                    field: field.to_owned(),
                });
            }
            for id in &matching {
                kept.remove(id);
            }
            let current = tx.table::<Row<T>>()?.get(key).cloned().ok_or_else(|| {
                self.record_error(T::TABLE, &key_text, (RecordProblem::Gone, None))
            })?;
            let meta = Meta::read(&current.cells, columns);
            let theirs = Side {
                fields: row::encode(&current.record)
                    .map_err(|failure| self.record_error(T::TABLE, &key_text, failure))?,
                wall_ms: 0,
                meta,
            };
            let mut target = theirs.clone();
            if field == columns.deleted {
                target.meta.deleted = value.as_bool() == Some(true);
            } else {
                target.fields.insert(field, value);
            }
            // A new version even when the chosen value is the one the row holds: the
            // resolution itself must travel to other replicas.
            target.meta = self.stamper.next(&theirs.meta, target.meta.deleted);
            let record = self.write(tx, &key_text, Some(current), &theirs, &target, true)?;
            Ok(Committed {
                record,
                written: true,
                conflict: None,
                winner: None,
                kept: Vec::new(),
            })
        })?;
        Ok(settle(committed, T::TABLE, &key_text, columns))
    }
}

/// The outcome of a commit with the record's metadata as the pre-commit hook stamped
/// it; a commit whose change set is empty wrote nothing.
fn settle<T>(
    committed: record_store::Committed<Committed<T>>,
    table: &str,
    key: &str,
    columns: &Columns,
) -> Committed<T> {
    let mut outcome = committed.value;
    if !outcome.written {
        return outcome;
    }
    match written_row(&committed.changes, table, key) {
        Some(row) => outcome.record.meta = Meta::read(row, columns),
        None => outcome.written = false,
    }
    outcome
}

/// The row `key` of `table` as a commit wrote it.
fn written_row<'c>(changes: &'c ChangeSet, table: &str, key: &str) -> Option<&'c Map> {
    let changes = changes.table(table)?;
    changes
        .updated
        .iter()
        .find(|row| row.key == key)
        .map(|row| &row.new)
        .or_else(|| {
            changes
                .inserted
                .iter()
                .find(|row| row.key == key)
                .map(|row| &row.row)
        })
}

fn absent_side() -> Side {
    Side {
        fields: Map::new(),
        meta: Meta::default(),
        wall_ms: 0,
    }
}

fn versioned<T: Record>(row: &Row<T>, columns: &Columns) -> Versioned<T> {
    Versioned {
        record: row.record.clone(),
        meta: Meta::read(&row.cells, columns),
    }
}
