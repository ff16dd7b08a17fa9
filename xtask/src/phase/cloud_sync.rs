//! Phase 5's checklist (cloud-sync): each item and the tests of `cloud-sync` that prove it.

use super::{Check, Item, Phase, tests};

const fn p5(target: &'static str, names: &'static [&'static str]) -> Check {
    tests("cloud-sync", target, names)
}

/// Phase 5: cloud-sync's checklist.
pub const PHASE: Phase = Phase {
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
                &["sigkill_during_push_and_pull_leaves_complete_states_and_the_next_sync_finishes"],
            ),
        },
        Item {
            text: "200 SIGKILLs during SQLite pushes and row merges: both databases and the remote head pass SQLite's integrity check after every kill, and every committed row reaches both devices",
            check: p5(
                "crash",
                &[
                    "sigkill_during_sqlite_push_and_merge_keeps_databases_whole_and_loses_no_committed_row",
                ],
            ),
        },
        Item {
            text: "SIGKILLs during SDN store pushes and merges committed through the store: both stores read whole after every kill, the head verifies and parses, and every committed record reaches both devices",
            check: p5(
                "record_crash",
                &[
                    "sigkill_during_record_pushes_and_merges_keeps_stores_whole_and_loses_no_committed_record",
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
            text: "an SDN pull or restore is a record-store commit: the store's hooks (versioning's stamping hook among them) and the report see its change set, the file is the merged text byte for byte, a veto changes nothing, a store or head that does not parse is never committed, and local commits made while pulls merge are never lost",
            check: p5(
                "record_pull_commit",
                &[
                    "a_pull_is_a_commit_its_hooks_see_and_the_file_is_the_merge_byte_for_byte",
                    "a_hook_that_vetoes_a_pull_leaves_local_content_and_the_sync_state_as_they_were",
                    "local_commits_made_while_pulls_merge_are_never_lost",
                    "a_restore_is_committed_through_the_store_too",
                    "versionings_stamping_hook_sees_a_pull_and_moves_its_clock_past_the_pulled_stamps",
                    "a_store_that_does_not_parse_is_never_overwritten_or_written_by_a_pull_or_a_restore",
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
            text: "SQLite: a same-row conflict settled by each strategy (prefer local, prefer cloud with a backup first, last-write-wins, error changes nothing, field merge with fallback); delete vs edit never loses the edit; a merge repeated after a crash records its conflicts once",
            check: p5(
                "sqlite_merge",
                &[
                    "same_row_conflicts_are_settled_by_each_strategy",
                    "a_row_deleted_on_one_side_and_edited_on_the_other_is_never_lost_silently",
                    "a_merge_repeated_after_a_crash_before_the_state_save_records_its_conflicts_once",
                ],
            ),
        },
        Item {
            text: "SQLite: a table without a primary key under each choice (use cloud, use local, keep both as a conflict copy); per-table strategies settle the same change differently per table; a table new on the remote is created",
            check: p5(
                "sqlite_merge",
                &[
                    "tables_without_a_primary_key_follow_each_choice",
                    "tables_changed_the_same_way_follow_their_own_strategies",
                    "a_table_new_on_the_remote_is_created_an_added_column_merged_and_a_dropped_one_refused",
                ],
            ),
        },
        Item {
            text: "SQLite schema changes: columns added on one or both sides united (base, local, remote order) with rows merged; a table dropped on one side dropped, or kept with a recorded conflict when the other side changed it; a table one side left alone takes the other's definition; indexes, triggers and views created, changed or dropped on one side follow that side; ambiguous changes refused with nothing written",
            check: p5(
                "sqlite_schema",
                &[
                    "columns_added_on_both_sides_are_united_and_their_rows_merged",
                    "a_column_added_on_the_remote_is_added_here_with_its_declaration_and_default",
                    "a_table_dropped_on_one_side_is_dropped_unless_the_other_side_changed_it",
                    "a_table_one_side_left_alone_takes_the_other_sides_definition_whole",
                    "schema_changes_without_one_answer_are_refused_and_change_nothing",
                    "a_refusal_says_what_to_do_next",
                    "indexes_triggers_and_views_changed_on_one_side_are_merged",
                    "an_object_changed_two_ways_is_refused_and_changes_nothing",
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
            text: "cloud-sync CLI on a SQLite database: push, pull (row merge, --prefer error/cloud), diff per table, status; backups --prune; per-table choices from init --table (every push and pull) and pull --table",
            check: p5(
                "cli_sqlite",
                &[
                    "two_devices_merge_sqlite_rows_through_the_binary_and_prune_backups",
                    "per_table_choices_come_from_init_and_pull_and_added_columns_merge",
                ],
            ),
        },
        Item {
            text: "backup retention by count and by age; the head's backup and every snapshot a kept backup names survive; a prune running while devices push never leaves a head naming a deleted snapshot",
            check: p5(
                "backup_retention",
                &[
                    "retention_by_count_deletes_old_backups_and_their_snapshots_but_never_the_head",
                    "retention_by_age_deletes_what_is_older_and_combines_with_count",
                    "a_push_reusing_a_snapshot_waits_for_a_running_prune_and_stores_it_again",
                    "prune_keeps_a_backup_based_on_the_head_whose_push_has_not_moved_it_yet",
                    "a_second_prune_is_refused_while_a_lease_lives_and_takes_over_a_dead_one",
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
                    "a_lone_uploader_takes_no_lease_per_file",
                ],
            ),
        },
        Item {
            text: "a file of one part is one self-describing object: one PUT up, one GET down; a bucket in the earlier two-object layout is still read and deleted",
            check: p5(
                "files",
                &[
                    "a_small_file_is_one_object_sent_with_one_put_and_opened_with_one_get",
                    "a_bucket_in_the_two_object_layout_of_earlier_versions_is_still_read",
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
                &["download_all_filters_reports_progress_and_evict_keeps_what_is_not_in_the_cloud"],
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
};
