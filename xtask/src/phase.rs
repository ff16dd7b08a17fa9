//! `cargo xtask phase N`: each phase's checklist, item by item, with PASS / FAIL / SKIP.
//!
//! A phase is one entry in [`PHASES`]: its checklist items (the text of the issue that
//! defined the phase) and, for each, the tests that prove it. Adding a phase is adding one
//! entry.

use std::collections::HashMap;

use crate::util::{self, TestStatus};

/// How one checklist item is proved.
pub enum Check {
    /// Tests of one test target; the item passes when all of them pass.
    Tests {
        /// Cargo package.
        package: &'static str,
        /// Integration test target (`tests/<target>.rs`).
        target: &'static str,
        /// Test function names (exact; a name inside a module may be given without it).
        names: &'static [&'static str],
    },
    /// A package's heavy crash run (as in `cargo xtask crash`) with this many kills.
    Crash {
        /// The package whose crash suite runs.
        package: &'static str,
        /// SIGKILLs to deliver.
        kills: u64,
    },
}

/// One checklist item.
pub struct Item {
    /// The item as the issue states it.
    pub text: &'static str,
    /// What proves it.
    pub check: Check,
}

/// One phase: its number, what it guarantees, its checklist.
pub struct Phase {
    /// Phase number.
    pub number: u32,
    /// The crate and guarantee.
    pub title: &'static str,
    /// Checklist items.
    pub items: &'static [Item],
    /// Environment for the phase's test runs: scales the tests that default to a quick
    /// size under plain `cargo test` up to the size the checklist promises.
    pub env: &'static [(&'static str, &'static str)],
}

const fn tests(
    package: &'static str,
    target: &'static str,
    names: &'static [&'static str],
) -> Check {
    Check::Tests {
        package,
        target,
        names,
    }
}

const fn p1(names: &'static [&'static str]) -> Check {
    tests("atomic-io", "phase1", names)
}

const fn p2(names: &'static [&'static str]) -> Check {
    tests("file-lock", "phase2", names)
}

/// Phase 3's checks live in three targets: `phase3`, `files_on_disk` (stores moved,
/// copied, linked, shared, vanished) and `names_and_errors` (table names, error reports).
const fn p3(target: &'static str, names: &'static [&'static str]) -> Check {
    tests("record-store", target, names)
}

const fn p4(names: &'static [&'static str]) -> Check {
    tests("versioning", "phase4", names)
}

const fn p5(target: &'static str, names: &'static [&'static str]) -> Check {
    tests("cloud-sync", target, names)
}

/// Every phase with a checklist, in order.
pub const PHASES: &[Phase] = &[
    Phase {
        number: 1,
        title: "atomic-io: a file is always the complete old or the complete new content",
        env: &[],
        items: &[
            Item {
                text: "normal save creates the target",
                check: p1(&["p1_save_creates_target_with_exact_bytes_and_leaves_no_temp"]),
            },
            Item {
                text: "no temp remains after commit",
                check: p1(&[
                    "p1_save_creates_target_with_exact_bytes_and_leaves_no_temp",
                    "p1_dropped_writer_leaves_target_untouched_and_no_temp",
                ]),
            },
            Item {
                text: "killed writer leaves its temp and cleanup removes it, keeping a live writer's temp and an unrelated x.tmp",
                check: p1(&[
                    "p1_killed_writer_leaves_temp_that_cleanup_removes_keeping_live_temp_and_unrelated_tmp",
                    "p1_cleanup_in_the_writers_own_process_keeps_its_live_temp",
                ]),
            },
            Item {
                text: "readable and complete after every save",
                check: p1(&["p1_file_is_readable_and_complete_after_every_save"]),
            },
            Item {
                text: "failed write keeps old content (writer error; full disk)",
                check: p1(&[
                    "p1_failed_write_keeps_old_content_on_writer_error",
                    "p1_full_disk_keeps_old_content_and_leaves_no_temp",
                ]),
            },
            Item {
                text: "two unlocked writers never tear",
                check: p1(&["p1_two_processes_racing_never_tear_or_mix_contents"]),
            },
            Item {
                text: ">= 1,000 SIGKILLs never leave the target incomplete (run via crash)",
                check: Check::Crash {
                    package: "atomic-io",
                    kills: 1000,
                },
            },
            Item {
                text: "power loss with a broken variant caught",
                check: p1(&[
                    "p1_power_loss_never_loses_an_acknowledged_durable_write",
                    "p1_power_loss_harness_catches_a_skipped_file_flush",
                    "p1_power_loss_harness_catches_a_skipped_dir_flush",
                ]),
            },
        ],
    },
    Phase {
        number: 2,
        title: "file-lock: one writer at a time across processes and threads",
        env: &[],
        items: &[
            Item {
                text: "single acquire",
                check: p2(&["p2_single_acquire_records_pid_and_host_in_sidecar"]),
            },
            Item {
                text: "second process waits then gets it",
                check: p2(&["p2_second_process_waits_and_gets_lock_only_after_release"]),
            },
            Item {
                text: "timeout accuracy",
                check: p2(&["p2_timeout_meets_deadline_and_names_path_mode_and_holder"]),
            },
            Item {
                text: "release on drop",
                check: p2(&["p2_release_on_drop_lets_another_process_try_lock"]),
            },
            Item {
                text: "SIGKILLed holder frees at once",
                check: p2(&["p2_sigkilled_holder_frees_lock_at_once"]),
            },
            Item {
                text: "shared locks coexist and exclude writers",
                check: p2(&[
                    "p2_shared_locks_coexist_across_processes_and_exclude_writers",
                    "p2_downgrade_admits_shared_but_not_exclusive",
                ]),
            },
            Item {
                text: "two handles in one process",
                check: p2(&[
                    "p2_threads_with_separate_handles_queue_and_never_share",
                    "p2_threads_in_one_process_exclude_each_other_and_hand_off",
                    "p2_same_thread_locking_twice_is_an_error_not_a_hang",
                    "p2_guard_moves_between_threads_and_releases_there",
                ]),
            },
            Item {
                text: "2/4/8 processes x 1,000 increments exact",
                check: p2(&[
                    "p2_counter_2_processes_no_lost_updates",
                    "p2_counter_4_processes_no_lost_updates",
                    "p2_counter_8_processes_no_lost_updates",
                ]),
            },
        ],
    },
    Phase {
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
                    "phase3",
                    &[
                        "p3_real_todo_db_loads_and_one_record_update_is_one_line_diff",
                        "p3_real_feature_db_loads_and_one_record_update_is_one_line_diff",
                        "p3_real_task_db_loads_and_one_record_update_is_one_line_diff",
                        "p3_real_databases_save_unchanged_records_writes_nothing",
                    ],
                ),
            },
            Item {
                text: "files written by the baseline writer still load",
                check: tests(
                    util::WORKSPACE_TESTS,
                    "baseline_compat",
                    &["p3_files_written_by_baseline_writer_still_load"],
                ),
            },
            Item {
                text: "unknown columns and tables survive a save",
                check: p3(
                    "phase3",
                    &["p3_unknown_columns_and_tables_are_kept_and_new_columns_appended"],
                ),
            },
            Item {
                text: "a new record type takes a few lines",
                check: p3("phase3", &["p3_new_record_type_in_a_few_lines"]),
            },
            Item {
                text: "lock-free reads and transactions reuse cached versions and see every change",
                check: p3(
                    "phase3",
                    &[
                        "p3_snapshot_cache_reuses_unchanged_file_and_sees_in_place_edits",
                        "p3_tables_reused_after_a_commit_equal_a_fresh_decode_of_the_file",
                        "p3_transactions_after_foreign_writes_see_exactly_the_file",
                    ],
                ),
            },
            Item {
                text: "no lost update across threads, and 8 processes x 500 transactions end exact with no lost or duplicated record",
                check: p3(
                    "phase3",
                    &[
                        "p3_threads_sharing_handles_lose_no_update",
                        "p3_processes_lose_no_update_and_duplicate_no_record",
                    ],
                ),
            },
            Item {
                text: "readers see only committed states while writers commit",
                check: p3(
                    "phase3",
                    &["p3_readers_see_only_committed_states_while_writers_commit"],
                ),
            },
            Item {
                text: "SIGKILLed writers never leave a torn file or a stuck lock",
                check: p3(
                    "phase3",
                    &["p3_sigkill_of_writers_never_leaves_torn_file_or_stuck_lock"],
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
                text: "several files commit together or not at all, at every crash point",
                check: p3(
                    "phase3",
                    &[
                        "p3_sigkill_of_store_set_writers_never_half_applies",
                        "p3_store_set_crash_at_every_commit_step_is_all_or_nothing",
                        "p3_store_set_reads_never_see_half_applied_commits",
                    ],
                ),
            },
            Item {
                text: "a failed or panicking transaction writes nothing and releases the lock",
                check: p3(
                    "phase3",
                    &[
                        "p3_closure_error_writes_nothing_and_releases_lock",
                        "p3_panic_in_transaction_writes_nothing_and_releases_lock",
                    ],
                ),
            },
            Item {
                text: "errors are reported cleanly and never damage the file (malformed, unwritable, full disk, conflicts)",
                check: p3(
                    "phase3",
                    &[
                        "p3_malformed_file_is_reported_with_position_and_never_overwritten",
                        "p3_unwritable_directory_fails_cleanly",
                        "p3_full_disk_fails_cleanly_and_keeps_old_content",
                        "p3_insert_existing_key_and_table_type_conflict_are_errors",
                    ],
                ),
            },
            Item {
                text: "a multi-file commit interrupted by a crash, then moved (mv) or copied (cp -a) with its directory, recovers as one unit; committed is never discarded",
                check: p3(
                    "files_on_disk",
                    &[
                        "p3_store_set_crash_then_directory_moved_recovers_as_one_unit",
                        "p3_store_set_crash_then_directory_copied_recovers_each_copy_alone",
                    ],
                ),
            },
            Item {
                text: "recovery always terminates, and side files that do not fit together are reported with the files named, never resolved by guessing",
                check: p3(
                    "files_on_disk",
                    &[
                        "p3_store_set_crash_then_directory_copied_recovers_each_copy_alone",
                        "p3_side_files_that_do_not_fit_together_are_reported_not_guessed",
                    ],
                ),
            },
            Item {
                text: "a table name is one literal name in reads and writes (dots, spaces, quotes)",
                check: p3(
                    "names_and_errors",
                    &["p3_a_table_name_is_one_literal_name_in_reads_and_writes"],
                ),
            },
            Item {
                text: "a file reached through a symlink and through its real path is one store with one lock; commits keep the link",
                check: p3(
                    "files_on_disk",
                    &["p3_a_store_reached_through_a_symlink_is_one_store_with_one_lock"],
                ),
            },
            Item {
                text: "side files (lock, staged, intent, journal) and commits keep the data file's owner, group and mode; its owner can recover and commit after root did",
                check: p3(
                    "files_on_disk",
                    &["p3_side_files_and_commits_keep_the_data_files_owner_and_mode"],
                ),
            },
            Item {
                text: "lock errors carry the OS reason as their source; no error repeats its cause",
                check: p3(
                    "names_and_errors",
                    &[
                        "p3_lock_errors_carry_the_os_reason_as_their_source",
                        "p3_errors_print_their_cause_or_return_it_never_both",
                    ],
                ),
            },
            Item {
                text: "data errors (type, duplicate key, invalid UTF-8, not a table) name the file, line, column, table and table column",
                check: p3(
                    "names_and_errors",
                    &["p3_data_errors_name_file_line_column_table_and_field"],
                ),
            },
            Item {
                text: "snapshots hold no file descriptors: 249 kept snapshots under a 256-descriptor limit, updates still work",
                check: p3(
                    "files_on_disk",
                    &["p3_kept_snapshots_hold_no_file_descriptors"],
                ),
            },
            Item {
                text: "a file deleted or moved away under an open handle is reported, not read as an empty store",
                check: p3(
                    "files_on_disk",
                    &["p3_a_file_that_vanishes_under_a_handle_is_reported_not_read_as_empty"],
                ),
            },
            Item {
                text: "a file another program is writing in place is waited out, never committed from a truncated read",
                check: p3(
                    "files_on_disk",
                    &["p3_a_file_being_written_in_place_is_waited_out_not_committed_truncated"],
                ),
            },
        ],
    },
    Phase {
        number: 4,
        title: "versioning: concurrent edits to a record are detected, never silently dropped; resolution is deterministic",
        // The size: 8 processes doing optimistic cycles.
        env: &[
            ("VERSIONING_STRESS_PROCS", "8"),
            ("VERSIONING_STRESS_ITERS", "100"),
        ],
        items: &[
            Item {
                text: "versions increment on save; a one-record change is a one-line diff; deletes leave a tombstone",
                check: p4(&[
                    "p4_versions_increment_on_save_and_a_change_is_a_one_line_diff",
                    "p4_delete_leaves_a_tombstone_that_reads_as_absent",
                ]),
            },
            Item {
                text: "timestamps updated: readable HLC stamps naming the writer, never backwards, increasing across restarts",
                check: p4(&[
                    "p4_timestamps_are_updated_with_writer_on_each_save",
                    "p4_stamps_increase_per_writer_across_restarts_with_the_clock_behind",
                ]),
            },
            Item {
                text: "hybrid logical clock: sortable strings, clock steps back, counter overflow, restart recovery",
                check: tests(
                    "versioning",
                    "hlc",
                    &[
                        "stamp_renders_as_readable_rfc3339_and_parses_back",
                        "string_order_equals_stamp_order_with_writer_tie_break",
                        "wall_clock_stepping_back_never_makes_stamps_go_back",
                        "logical_counter_overflow_moves_the_physical_part_on",
                        "recovered_clock_continues_after_the_last_stamp_even_when_the_wall_clock_is_behind",
                        "stamps_strictly_increase_per_writer_across_restarts",
                    ],
                ),
            },
            Item {
                text: "conflicts detected: A and B read v1 of todo-1, A saves done (v2), B's save from v1 is a conflict (two processes)",
                check: p4(&[
                    "p4_ab_error_strategy_reports_base_ours_theirs_and_writes_nothing",
                    "p4_insert_of_a_taken_key_is_a_conflict",
                ]),
            },
            Item {
                text: "every strategy works in the A/B scenario with its exact outcome (LastWriteWins, LastModifiedWins, Error, Merge, callback)",
                check: p4(&[
                    "p4_ab_error_strategy_reports_base_ours_theirs_and_writes_nothing",
                    "p4_ab_last_write_wins_keeps_the_later_commit_even_with_its_clock_behind",
                    "p4_ab_last_modified_wins_follows_wall_clocks_as_the_baseline_did",
                    "p4_ab_merge_same_field_falls_back_to_error_and_disjoint_fields_merge",
                    "p4_ab_merge_with_last_write_wins_fallback",
                    "p4_ab_merge_with_keep_writes_one_value_and_keeps_both",
                    "p4_ab_callback_decides",
                    "p4_merge_combines_disjoint_fields_and_same_field_falls_back",
                    "p4_delete_against_update_is_a_field_conflict_under_merge",
                ]),
            },
            Item {
                text: "strategies and column names per table",
                check: p4(&[
                    "p4_strategy_per_table_applies_when_the_call_gives_none",
                    "p4_column_names_are_configurable_per_table",
                ]),
            },
            Item {
                text: "clock skew: a replica hours behind, a stamp far in the future: typed error or clamp with warning",
                check: p4(&[
                    "p4_ab_clock_hours_behind_is_a_typed_skew_error_not_a_silent_loss",
                    "p4_clock_skew_in_the_file_is_refused_or_clamped_by_option",
                ]),
            },
            Item {
                text: "clock skew bound on observed stamps (unit level)",
                check: tests(
                    "versioning",
                    "hlc",
                    &[
                        "remote_stamp_far_in_the_future_is_a_typed_error_and_moves_nothing",
                        "remote_stamp_far_in_the_future_is_clamped_with_a_warning",
                        "observed_remote_stamp_within_bound_orders_later_stamps_after_it",
                    ],
                ),
            },
            Item {
                text: "a remote snapshot's stamps: within the bound they move the clock; beyond it a typed error or a clamp",
                check: tests(
                    "versioning",
                    "merge",
                    &[
                        "remote_snapshot_stamps_move_the_clock_within_the_bound_and_refuse_beyond_it",
                    ],
                ),
            },
            Item {
                text: "kept conflicts: both sides kept with writers and stamps, listed, resolved as a versioned change",
                check: p4(&["p4_kept_conflicts_are_listed_and_resolved_as_a_versioned_change"]),
            },
            Item {
                text: "three-way merge of whole stores: documented rules, format kept, convergent in any order, idempotent, no value lost",
                check: tests(
                    "versioning",
                    "merge",
                    &[
                        "disjoint_rows_merge_and_keep_comments_unknown_columns_and_order",
                        "same_field_changed_two_ways_keeps_both_values_and_sums_versions",
                        "same_key_inserted_on_both_sides_merges_against_an_empty_row",
                        "delete_against_update_keeps_the_tombstone_with_the_update",
                        "rows_removed_outright_and_rows_only_in_base",
                        "replicas_converge_in_any_merge_order_and_lose_no_value",
                    ],
                ),
            },
            Item {
                text: "change cursor: store revision and what changed since it, with memory bounded per table",
                check: p4(&[
                    "p4_change_cursor_reports_what_changed_since_a_revision",
                    "p4_change_cursor_memory_is_bounded_and_merged_in_changes_are_not_missed",
                ]),
            },
            Item {
                text: "stamping lives in record-store's pre-commit hook: plain changes stamped, removals tombstoned, unstampable changes vetoed, remote metadata checked",
                check: tests(
                    "versioning",
                    "hook",
                    &[
                        "a_plain_record_store_change_through_the_versioned_store_is_stamped",
                        "a_plain_removal_becomes_a_stamped_tombstone",
                        "a_change_that_cannot_carry_the_version_columns_is_vetoed_and_nothing_is_written",
                        "a_remote_change_set_keeps_its_metadata_and_a_stale_one_is_refused",
                    ],
                ),
            },
            Item {
                text: "migration: unversioned databases read as version 0, migrate in one commit, then one-line diffs",
                check: tests(
                    "versioning",
                    "migrate",
                    &[
                        "p4_migrate_todo_db_fixture",
                        "p4_migrate_feature_db_fixture",
                        "p4_migrate_task_db_fixture",
                        "p4_migrate_keeps_other_tables_and_blank_lines",
                        "p4_migrate_baseline_phase4_file_keeps_versions_and_times",
                        "p4_migrate_real_databases_when_present",
                    ],
                ),
            },
            Item {
                text: "8 processes x 100 optimistic cycles: every commit lands or conflicts, final state = serial replay, no silent overwrite",
                check: tests(
                    "versioning",
                    "stress",
                    &["p4_eight_processes_optimistic_cycles_land_or_conflict_never_overwrite"],
                ),
            },
        ],
    },
    Phase {
        number: 5,
        title: "cloud-sync: devices push, pull and merge a store through S3 or a folder; no push is lost, nothing is overwritten unseen",
        // The size for the SIGKILL run.
        // ... and for the content files, >= 100 SIGKILLs during uploads and downloads.
        env: &[
            ("CLOUD_SYNC_KILLS", "200"),
            ("CLOUD_SYNC_FILE_KILLS", "100"),
        ],
        items: &[
            Item {
                text: "one remote abstraction (object_store, InMemory, local directory, S3 via s3s-fs) behaving the same; blocking and async APIs",
                check: p5(
                    "conformance",
                    &["object_operations_behave_the_same_on_every_backend"],
                ),
            },
            Item {
                text: "the local-directory remote gives real compare-and-swap and create-only across processes",
                check: p5(
                    "local_dir_cas",
                    &[
                        "processes_racing_compare_and_swap_lose_no_update_and_win_each_generation_once",
                        "processes_racing_create_only_have_exactly_one_winner",
                    ],
                ),
            },
            Item {
                text: "manifest changed only by conditional writes, read back; racing pushes lose no version, also where the server ignores If-Match",
                check: p5(
                    "read_back",
                    &[
                        "read_back_catches_a_rival_write_the_server_let_through",
                        "a_push_overwritten_after_its_read_back_is_seen_as_diverged_not_behind",
                    ],
                ),
            },
            Item {
                text: "racing pushes through every backend (InMemory, local directory, s3s-fs) lose no version",
                check: p5(
                    "conformance",
                    &["racing_pushes_lose_no_version_on_any_backend"],
                ),
            },
            Item {
                text: "push, pull and check move a file between devices; check and an unchanged push cost one request; a diverged device never overwrites",
                check: p5(
                    "file_sync",
                    &[
                        "push_pull_and_check_move_a_file_between_devices",
                        "check_and_an_unchanged_push_cost_one_request",
                        "diverged_devices_refuse_to_overwrite_and_overwrite_local_backs_up_first",
                    ],
                ),
            },
            Item {
                text: "downloads verified (size, sha256) and confined (no key outside the prefix); no secret in errors or Debug",
                check: p5(
                    "file_sync",
                    &[
                        "a_changed_snapshot_object_fails_verification_and_local_is_untouched",
                        "a_manifest_naming_a_path_outside_the_prefix_is_rejected",
                        "secrets_never_appear_in_errors_or_debug_output",
                        "the_async_api_works_inside_a_runtime_where_the_blocking_one_refuses",
                    ],
                ),
            },
            Item {
                text: "SQLite: a live WAL database syncs with no stale -wal/-shm; a corrupt download is refused before it touches local",
                check: p5(
                    "file_sync",
                    &[
                        "a_live_wal_sqlite_database_syncs_without_stale_wal_files",
                        "a_corrupt_sqlite_download_is_refused_before_it_touches_the_local_database",
                    ],
                ),
            },
            Item {
                text: "backups listed, restore is a new logged head; local sync state is crash-safe and rebuilt from checksums",
                check: p5(
                    "file_sync",
                    &[
                        "backups_are_listed_and_a_restore_is_a_new_logged_head",
                        "missing_or_damaged_state_is_rebuilt_from_checksums",
                        "a_push_whose_state_was_not_saved_is_recognised_as_our_own",
                    ],
                ),
            },
            Item {
                text: "200 SIGKILLs during push and pull: complete old or new local file, a verified remote head, the next sync finishes the job",
                check: p5(
                    "crash",
                    &[
                        "sigkill_during_push_and_pull_leaves_complete_states_and_the_next_sync_finishes",
                    ],
                ),
            },
            Item {
                text: "record-level merge: any interleaving of pushes and pulls from 2-8 devices converges to identical bytes, every edit kept (record or conflicts table), zero lost pushes",
                check: p5(
                    "record_sync",
                    &[
                        "any_interleaving_converges_with_every_edit_kept",
                        "concurrent_pushers_race_for_the_head_and_lose_nothing",
                        "fresh_devices_racing_their_first_push_lose_nothing",
                    ],
                ),
            },
            Item {
                text: "4 device processes with their own stores edit and sync in random order through a local directory and through s3s-fs: convergence, no lost edit",
                check: p5(
                    "multi_process",
                    &[
                        "four_device_processes_sync_through_a_local_directory_and_lose_nothing",
                        "four_device_processes_sync_through_s3s_fs_and_lose_nothing",
                    ],
                ),
            },
            Item {
                text: "a remote that refuses, applies and drops the answer of, or hangs past the request timeout on the Nth request of a merging push: the timeout fires and the next push finishes with nothing lost",
                check: p5(
                    "faults",
                    &[
                        "a_fault_on_any_request_of_a_merging_push_is_finished_by_the_next_push",
                        "a_request_hanging_past_the_timeout_fails_and_the_next_push_finishes_the_job",
                    ],
                ),
            },
            Item {
                text: "the merge base is the last synced head, cached crash-safely and verified, never a lost push's own backup",
                check: p5(
                    "record_sync",
                    &[
                        "a_damaged_or_missing_base_cache_is_fetched_again_not_trusted",
                        "a_backup_of_our_own_lost_push_is_never_taken_as_the_merge_base",
                    ],
                ),
            },
            Item {
                text: "merges are logged with their kept conflicts; an unmergeable store changes nothing; an unchanged store push is one request",
                check: p5(
                    "record_sync",
                    &[
                        "a_merge_is_logged_with_its_conflicts_and_an_unmergeable_store_changes_nothing",
                        "an_unchanged_push_costs_one_request",
                    ],
                ),
            },
            Item {
                text: "cloud-sync CLI: init, push, pull (merging), check, status, log through the real binary with --json",
                check: p5(
                    "cli",
                    &["two_devices_push_pull_and_merge_concurrent_edits_through_the_binary"],
                ),
            },
            Item {
                text: "cloud-sync CLI: pull --prefer local|cloud|merge; diff per table; backups, restore; device rename",
                check: p5(
                    "cli",
                    &[
                        "prefer_cloud_and_prefer_local_settle_a_divergence_as_asked",
                        "diff_backups_restore_and_device_rename",
                    ],
                ),
            },
            Item {
                text: "cloud-sync CLI: distinct exit codes and errors that say what to do next",
                check: p5(
                    "cli",
                    &["failures_have_distinct_exit_codes_and_say_what_to_do"],
                ),
            },
            Item {
                text: "SQLite: two devices edit different rows and columns through a local-directory remote; every disjoint edit kept, a same-column conflict kept open and reported (cloud_sync_conflicts table)",
                check: p5(
                    "sqlite_merge",
                    &["two_devices_editing_different_rows_and_columns_keep_every_edit"],
                ),
            },
            Item {
                text: "SQLite: a same-row conflict settled by each strategy (prefer local, prefer cloud with a backup first, last-write-wins, error changes nothing, field merge with fallback); delete vs edit never loses the edit",
                check: p5(
                    "sqlite_merge",
                    &[
                        "same_row_conflicts_are_settled_by_each_strategy",
                        "a_row_deleted_on_one_side_and_edited_on_the_other_is_never_lost_silently",
                    ],
                ),
            },
            Item {
                text: "SQLite: a table without a primary key under each choice (use cloud, use local, keep both as a conflict copy); schema changes created or refused",
                check: p5(
                    "sqlite_merge",
                    &[
                        "tables_without_a_primary_key_follow_each_choice",
                        "a_table_new_on_the_remote_is_created_and_a_schema_change_is_refused_when_diverged",
                    ],
                ),
            },
            Item {
                text: "SQLite: a pulled merge is applied in one transaction while another process holds a read transaction open (it keeps its snapshot, then sees the merge)",
                check: p5(
                    "sqlite_merge",
                    &["a_pulled_merge_is_applied_while_another_process_holds_a_read_transaction"],
                ),
            },
            Item {
                text: "SQLite: a live WAL database written by another process during pushes: every pulled snapshot is one committed state, the last has every commit",
                check: p5(
                    "sqlite_merge",
                    &[
                        "a_live_database_written_by_another_process_during_push_syncs_consistent_snapshots",
                    ],
                ),
            },
            Item {
                text: "cloud-sync CLI on a SQLite database: push, pull (row merge, --prefer error/cloud), diff per table, status; backups --prune",
                check: p5(
                    "cli_sqlite",
                    &["two_devices_merge_sqlite_rows_through_the_binary_and_prune_backups"],
                ),
            },
            Item {
                text: "backup retention by count and by age; the head's backup and every snapshot a kept backup names survive",
                check: p5(
                    "backup_retention",
                    &[
                        "retention_by_count_deletes_old_backups_and_their_snapshots_but_never_the_head",
                        "retention_by_age_deletes_what_is_older_and_combines_with_count",
                    ],
                ),
            },
            Item {
                text: "content files: every availability state produced for real (present or missing locally and remotely, content differing, changed on disk after upload)",
                check: p5(
                    "files",
                    &["every_availability_state_is_computed_from_facts"],
                ),
            },
            Item {
                text: "uploads are zstd, content-addressed, create-only and verified; an interrupted multipart upload resumes without resending parts",
                check: p5(
                    "files",
                    &[
                        "uploads_are_create_only_and_never_resent",
                        "an_interrupted_multipart_upload_resumes_without_resending_parts",
                        "an_upload_whose_lease_is_held_is_left_to_its_owner",
                    ],
                ),
            },
            Item {
                text: "SIGKILL during upload, multipart upload and download (>= 100 kills each): no partial file, no lost upload, the next run finishes",
                check: tests(
                    "cloud-sync",
                    "files_crash",
                    &[
                        "sigkill_during_uploads_and_multipart_uploads_loses_nothing",
                        "sigkill_during_downloads_never_leaves_a_partial_file",
                    ],
                ),
            },
            Item {
                text: "two processes requesting the same CloudOnly file at once: one download, both verified",
                check: tests(
                    "cloud-sync",
                    "files_crash",
                    &["two_processes_opening_one_cloud_only_file_download_it_once"],
                ),
            },
            Item {
                text: "a corrupted object: clear checksum error, local file untouched (InMemory, local directory, s3s-fs)",
                check: p5(
                    "files",
                    &["a_corrupted_object_fails_with_a_checksum_error_and_writes_nothing"],
                ),
            },
            Item {
                text: "download all (filtered, bounded, with progress), evict never a LocalOnly file, storage figures per folder",
                check: p5(
                    "files",
                    &[
                        "download_all_filters_reports_progress_and_evict_keeps_what_is_not_in_the_cloud",
                    ],
                ),
            },
            Item {
                text: "deletion removes the cloud copy only after every device agrees; delete vs edit is a kept conflict",
                check: p5(
                    "files",
                    &["deletion_waits_for_every_device_and_keeps_a_delete_edit_conflict"],
                ),
            },
            Item {
                text: "the catalogue is a human-readable record-store table that keeps an existing sha1 and unknown columns",
                check: p5(
                    "files",
                    &["an_existing_catalogue_keeps_its_sha1_and_unknown_columns"],
                ),
            },
        ],
    },
];

/// The outcome of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every test passed.
    Pass,
    /// A test failed, was missing, or the run did not complete.
    Fail(String),
    /// A test skipped itself (printed `SKIPPED`), none failed.
    Skip(String),
}

/// Runs phase `number`'s checklist and prints each item; returns the verdicts.
pub fn run(number: u32) -> Result<Vec<(&'static str, Verdict)>, String> {
    let phase = PHASES
        .iter()
        .find(|phase| phase.number == number)
        .ok_or_else(|| {
            let known: Vec<String> = PHASES.iter().map(|p| p.number.to_string()).collect();
            format!(
                "no checklist for phase {number} (known: {})",
                known.join(", ")
            )
        })?;
    println!("== phase {}: {}", phase.number, phase.title);

    // One cargo run per test target, then each item reads its tests' results.
    let mut runs: HashMap<(&str, &str), TargetRun> = HashMap::new();
    for item in phase.items {
        if let Check::Tests {
            package, target, ..
        } = item.check
            && let std::collections::hash_map::Entry::Vacant(slot) = runs.entry((package, target))
        {
            slot.insert(TargetRun::execute(package, target, phase.env)?);
        }
    }

    let mut verdicts = Vec::new();
    for item in phase.items {
        let verdict = match &item.check {
            Check::Tests {
                package,
                target,
                names,
            } => runs[&(*package, *target)].verdict(names),
            Check::Crash { package, kills } => match crate::crash::run_package(package, *kills) {
                Ok(true) => Verdict::Pass,
                Ok(false) => Verdict::Fail("crash run found violations".to_string()),
                Err(err) => Verdict::Fail(err),
            },
        };
        verdicts.push((item.text, verdict));
    }

    println!("\n== phase {} checklist", phase.number);
    for (text, verdict) in &verdicts {
        match verdict {
            Verdict::Pass => println!("PASS  {text}"),
            Verdict::Fail(why) => println!("FAIL  {text}  ({why})"),
            Verdict::Skip(why) => println!("SKIP  {text}  ({why})"),
        }
    }
    Ok(verdicts)
}

struct TargetRun {
    package: &'static str,
    target: &'static str,
    completed: bool,
    results: Vec<(String, TestStatus)>,
    skipped: Vec<String>,
}

impl TargetRun {
    fn execute(
        package: &'static str,
        target: &'static str,
        env: &[(&str, &str)],
    ) -> Result<TargetRun, String> {
        let test_file = util::test_file(package, target);
        if !util::exists(&test_file) {
            return Ok(TargetRun {
                package,
                target,
                completed: false,
                results: Vec::new(),
                skipped: Vec::new(),
            });
        }
        let mut command = util::cargo_test(package, target, &["--show-output"]);
        command.envs(env.iter().copied());
        let run = util::run_streaming(command, false)?;
        let results = util::parse_test_lines(&run.stdout);
        Ok(TargetRun {
            package,
            target,
            // A build failure or a crashed harness prints no result line.
            completed: !results.is_empty(),
            skipped: util::skipped_tests(&run.stdout),
            results,
        })
    }

    fn status_of(&self, name: &str) -> Option<TestStatus> {
        let suffix = format!("::{name}");
        self.results
            .iter()
            .find(|(test, _)| test == name || test.ends_with(&suffix))
            .map(|(_, status)| *status)
    }

    fn verdict(&self, names: &[&str]) -> Verdict {
        if !self.completed {
            return Verdict::Fail(format!(
                "{} --test {} did not run (missing or did not build)",
                self.package, self.target
            ));
        }
        let mut skipped = Vec::new();
        for name in names {
            match self.status_of(name) {
                Some(TestStatus::Ok) => {
                    if self.skipped.iter().any(|s| s == name || s.ends_with(name)) {
                        skipped.push(*name);
                    }
                }
                Some(TestStatus::Failed) => return Verdict::Fail(format!("{name} failed")),
                Some(TestStatus::Ignored) => return Verdict::Fail(format!("{name} is ignored")),
                None => {
                    return Verdict::Fail(format!("no test {name} in {}", self.target));
                }
            }
        }
        if skipped.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Skip(format!("{} printed SKIPPED", skipped.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every test a checklist names exists in its test file, so a renamed test fails here
    /// instead of turning an item into a FAIL at run time.
    #[test]
    fn every_named_test_exists_in_its_file() {
        for phase in PHASES {
            for item in phase.items {
                let Check::Tests {
                    package,
                    target,
                    names,
                } = item.check
                else {
                    continue;
                };
                let file = util::workspace_root().join(util::test_file(package, target));
                let source = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                for name in names {
                    assert!(
                        source.contains(&format!("fn {name}(")),
                        "phase {}: {name} not found in {}",
                        phase.number,
                        file.display()
                    );
                }
            }
        }
    }

    #[test]
    fn phase_numbers_are_unique_and_every_phase_has_items() {
        for (index, phase) in PHASES.iter().enumerate() {
            assert!(!phase.items.is_empty(), "phase {}", phase.number);
            assert!(PHASES[index + 1..].iter().all(|p| p.number != phase.number));
        }
    }

    #[test]
    fn verdict_combines_results_and_skips() {
        let run = TargetRun {
            package: "p",
            target: "t",
            completed: true,
            results: vec![
                ("a".to_string(), TestStatus::Ok),
                ("m::b".to_string(), TestStatus::Ok),
                ("c".to_string(), TestStatus::Failed),
            ],
            skipped: vec!["m::b".to_string()],
        };
        assert_eq!(run.verdict(&["a"]), Verdict::Pass);
        assert!(matches!(run.verdict(&["a", "b"]), Verdict::Skip(_)));
        assert!(matches!(run.verdict(&["a", "c"]), Verdict::Fail(_)));
        assert!(matches!(run.verdict(&["missing"]), Verdict::Fail(_)));
    }
}
