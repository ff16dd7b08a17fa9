//! Phase 3's checklist (record-store): each item and the tests of `record-store` that prove it.

use super::{Check, Item, Phase, tests};
use crate::util;

/// Phase 3's checks live in record-store's test targets: `load_and_save` (real
/// databases, schema evolution, caches), `replace_text` and `replace_in_place` (whole
/// texts committed), `concurrency` (threads, processes, SIGKILLs), `failures` (failed
/// transactions, damaged or unwritable files), `files_on_disk` (stores moved, copied,
/// linked, shared, vanished), `names_and_errors` (table names, error reports) and
/// `memory` (peaks measured in worker processes).
const fn p3(target: &'static str, names: &'static [&'static str]) -> Check {
    tests("record-store", target, names)
}

/// Phase 3: record-store's checklist.
pub const PHASE: Phase = Phase {
    number: 3,
    title: "record-store: read-modify-write is one locked transaction; readers never see a partial state",
    // The size: 8 processes x 500 transactions.
    env: &[
        ("RECORD_STORE_STRESS_PROCS", "8"),
        ("RECORD_STORE_STRESS_ITERS", "500"),
    ],
    items: &[
        Item {
            text: "the tracking databases (fixtures in the package, and the real corpus when present) load and a one-record update is a one-line diff",
            check: p3(
                "load_and_save",
                &[
                    "real_todo_db_loads_and_one_record_update_is_one_line_diff",
                    "real_feature_db_loads_and_one_record_update_is_one_line_diff",
                    "real_task_db_loads_and_one_record_update_is_one_line_diff",
                    "real_databases_save_unchanged_records_writes_nothing",
                ],
            ),
        },
        Item {
            text: "files written by the baseline writer still load",
            check: tests(
                util::WORKSPACE_TESTS,
                "baseline_compat",
                &["files_written_by_baseline_writer_still_load"],
            ),
        },
        Item {
            text: "a whole text made elsewhere (a merge) commits through the pipeline byte for byte, comments and unknown columns included; its change set is derived by key and shown to the hooks; a veto or error changes nothing, not even the cache; a SIGKILL mid-write leaves the old or the new text",
            check: p3(
                "replace_text",
                &[
                    "the_file_becomes_the_text_byte_for_byte_and_the_change_set_says_what_changed",
                    "a_hook_that_amends_a_replacement_is_rendered_on_top_and_seen_in_the_change_set",
                    "a_veto_an_error_or_a_bad_text_changes_nothing_not_even_the_cache",
                    "a_process_killed_while_it_replaces_leaves_the_old_or_the_new_text",
                ],
            ),
        },
        Item {
            text: "a replacement that changes one row line edits the cached version in place and gives exactly what the general path gives (property test); a veto, an error or a second replacement sees the file as read",
            check: p3(
                "replace_in_place",
                &[
                    "a_replacement_in_place_gives_what_the_general_path_gives",
                    "a_vetoed_or_failed_replacement_in_place_leaves_the_file_and_the_cache_as_read",
                    "a_second_replacement_is_compared_with_the_file_as_read",
                    "a_hook_amending_a_replacement_in_place_sees_the_change_from_the_file",
                ],
            ),
        },
        Item {
            text: "unknown columns and tables survive a save",
            check: p3(
                "load_and_save",
                &["unknown_columns_and_tables_are_kept_and_new_columns_appended"],
            ),
        },
        Item {
            text: "a new record type takes a few lines",
            check: p3("load_and_save", &["new_record_type_in_a_few_lines"]),
        },
        Item {
            text: "lock-free reads and transactions reuse cached versions and see every change",
            check: p3(
                "load_and_save",
                &[
                    "snapshot_cache_reuses_unchanged_file_and_sees_in_place_edits",
                    "tables_reused_after_a_commit_equal_a_fresh_decode_of_the_file",
                    "transactions_after_foreign_writes_see_exactly_the_file",
                ],
            ),
        },
        Item {
            text: "a process's first transaction on a large file decodes only the records it asks for, and returns and writes what a transaction on records decoded up front does",
            check: p3(
                "load_and_save",
                &["a_first_transaction_returns_and_writes_what_a_warm_one_does"],
            ),
        },
        Item {
            text: "memory: reading a table peaks under 8x the file, a first one-record update under 3x (worker processes, VmHWM)",
            check: p3(
                "memory",
                &[
                    "reading_a_table_peaks_below_eight_times_the_file",
                    "a_cold_one_record_update_peaks_below_three_times_the_file",
                ],
            ),
        },
        Item {
            text: "no lost update across threads, and 8 processes x 500 transactions end exact with no lost or duplicated record",
            check: p3(
                "concurrency",
                &[
                    "threads_sharing_handles_lose_no_update",
                    "processes_lose_no_update_and_duplicate_no_record",
                ],
            ),
        },
        Item {
            text: "readers see only committed states while writers commit",
            check: p3(
                "concurrency",
                &["readers_see_only_committed_states_while_writers_commit"],
            ),
        },
        Item {
            text: "SIGKILLed writers never leave a torn file or a stuck lock",
            check: p3(
                "concurrency",
                &["sigkill_of_writers_never_leaves_torn_file_or_stuck_lock"],
            ),
        },
        Item {
            text: ">= 500 SIGKILLs of single-file and multi-file writers (run via crash)",
            check: Check::Crash {
                package: "record-store",
                kills: 500,
            },
        },
        Item {
            text: "several files commit together or not at all, at every crash point, also for a store that updates one of them alone afterwards",
            check: p3(
                "concurrency",
                &[
                    "sigkill_of_store_set_writers_never_half_applies",
                    "store_set_crash_at_every_commit_step_is_all_or_nothing",
                    "an_update_of_one_member_after_a_crashed_set_commit_sees_it_all_or_nothing",
                    "store_set_reads_never_see_half_applied_commits",
                ],
            ),
        },
        Item {
            text: "a failed or panicking transaction writes nothing and releases the lock",
            check: p3(
                "failures",
                &[
                    "closure_error_writes_nothing_and_releases_lock",
                    "panic_in_transaction_writes_nothing_and_releases_lock",
                ],
            ),
        },
        Item {
            text: "errors are reported cleanly and never damage the file (malformed, unwritable, full disk, conflicts)",
            check: p3(
                "failures",
                &[
                    "malformed_file_is_reported_with_position_and_never_overwritten",
                    "unwritable_directory_fails_cleanly",
                    "full_disk_fails_cleanly_and_keeps_old_content",
                    "insert_existing_key_and_table_type_conflict_are_errors",
                ],
            ),
        },
        Item {
            text: "a multi-file commit interrupted by a crash, then moved (mv) or copied (cp -a) with its directory, recovers as one unit; committed is never discarded",
            check: p3(
                "files_on_disk",
                &[
                    "store_set_crash_then_directory_moved_recovers_as_one_unit",
                    "store_set_crash_then_directory_copied_recovers_each_copy_alone",
                ],
            ),
        },
        Item {
            text: "recovery always terminates, and side files that do not fit together are reported with the files named, never resolved by guessing",
            check: p3(
                "files_on_disk",
                &[
                    "store_set_crash_then_directory_copied_recovers_each_copy_alone",
                    "side_files_that_do_not_fit_together_are_reported_not_guessed",
                ],
            ),
        },
        Item {
            text: "a table name is one literal name in reads and writes (dots, spaces, quotes)",
            check: p3(
                "names_and_errors",
                &["a_table_name_is_one_literal_name_in_reads_and_writes"],
            ),
        },
        Item {
            text: "a file reached through a symlink and through its real path is one store with one lock; commits keep the link",
            check: p3(
                "files_on_disk",
                &["a_store_reached_through_a_symlink_is_one_store_with_one_lock"],
            ),
        },
        Item {
            text: "side files (lock, staged, intent, journal) and commits keep the data file's owner, group and mode; its owner can recover and commit after root did",
            check: p3(
                "files_on_disk",
                &["side_files_and_commits_keep_the_data_files_owner_and_mode"],
            ),
        },
        Item {
            text: "lock errors carry the OS reason as their source; no error repeats its cause",
            check: p3(
                "names_and_errors",
                &[
                    "lock_errors_carry_the_os_reason_as_their_source",
                    "errors_print_their_cause_or_return_it_never_both",
                ],
            ),
        },
        Item {
            text: "data errors (type, duplicate key, invalid UTF-8, not a table) name the file, line, column, table and table column",
            check: p3(
                "names_and_errors",
                &["data_errors_name_file_line_column_table_and_field"],
            ),
        },
        Item {
            text: "snapshots hold no file descriptors: 249 kept snapshots under a 256-descriptor limit, updates still work",
            check: p3(
                "files_on_disk",
                &["kept_snapshots_hold_no_file_descriptors"],
            ),
        },
        Item {
            text: "a file deleted or moved away under an open handle is reported, not read as an empty store",
            check: p3(
                "files_on_disk",
                &["a_file_that_vanishes_under_a_handle_is_reported_not_read_as_empty"],
            ),
        },
        Item {
            text: "a file another program is writing in place is waited out, never committed from a truncated read",
            check: p3(
                "files_on_disk",
                &["a_file_being_written_in_place_is_waited_out_not_committed_truncated"],
            ),
        },
    ],
};
