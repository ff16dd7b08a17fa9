//! The process's one in-process lock table (see [`crate::in_process`]), created on first
//! use.

use std::sync::LazyLock;

use crate::in_process::LockTable;

static TABLE: LazyLock<LockTable> = LazyLock::new(LockTable::new);

/// The table every lock of this process registers in.
pub(crate) fn table() -> &'static LockTable {
    &TABLE
}
