//! Phase 4's checklist (versioning): each item and the tests of `versioning` that prove it.

use super::{Check, Item, Phase, tests};

/// Phase 4's own tests live in two targets: `versions` (versions, stamps, tombstones, the
/// change cursor) and `conflicts` (conflict detection, strategies, the A/B scenario).
const fn versions(names: &'static [&'static str]) -> Check {
    tests("versioning", "versions", names)
}

const fn conflicts(names: &'static [&'static str]) -> Check {
    tests("versioning", "conflicts", names)
}

/// Phase 4: versioning's checklist.
pub const PHASE: Phase = Phase {
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
            check: versions(&[
                "versions_increment_on_save_and_a_change_is_a_one_line_diff",
                "delete_leaves_a_tombstone_that_reads_as_absent",
            ]),
        },
        Item {
            text: "timestamps updated: readable HLC stamps naming the writer, never backwards, increasing across restarts",
            check: versions(&[
                "timestamps_are_updated_with_writer_on_each_save",
                "stamps_increase_per_writer_across_restarts_with_the_clock_behind",
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
            check: conflicts(&[
                "ab_error_strategy_reports_base_ours_theirs_and_writes_nothing",
                "insert_of_a_taken_key_is_a_conflict",
            ]),
        },
        Item {
            text: "every strategy works in the A/B scenario with its exact outcome (LastWriteWins, LastModifiedWins, Error, Merge, callback)",
            check: conflicts(&[
                "ab_error_strategy_reports_base_ours_theirs_and_writes_nothing",
                "ab_last_write_wins_keeps_the_later_commit_even_with_its_clock_behind",
                "ab_last_modified_wins_follows_wall_clocks_as_the_baseline_did",
                "ab_merge_same_field_falls_back_to_error_and_disjoint_fields_merge",
                "ab_merge_with_last_write_wins_fallback",
                "ab_merge_with_keep_writes_one_value_and_keeps_both",
                "ab_callback_decides",
                "merge_combines_disjoint_fields_and_same_field_falls_back",
                "delete_against_update_is_a_field_conflict_under_merge",
            ]),
        },
        Item {
            text: "strategies and column names per table",
            check: conflicts(&[
                "strategy_per_table_applies_when_the_call_gives_none",
                "column_names_are_configurable_per_table",
            ]),
        },
        Item {
            text: "clock skew: a replica hours behind, a stamp far in the future: typed error or clamp with warning",
            check: conflicts(&[
                "ab_clock_hours_behind_is_a_typed_skew_error_not_a_silent_loss",
                "clock_skew_in_the_file_is_refused_or_clamped_by_option",
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
                &["remote_snapshot_stamps_move_the_clock_within_the_bound_and_refuse_beyond_it"],
            ),
        },
        Item {
            text: "kept conflicts: both sides kept with writers and stamps, listed, resolved as a versioned change",
            check: conflicts(&["kept_conflicts_are_listed_and_resolved_as_a_versioned_change"]),
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
            check: versions(&[
                "change_cursor_reports_what_changed_since_a_revision",
                "change_cursor_memory_is_bounded_and_merged_in_changes_are_not_missed",
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
                    "migrate_todo_db_fixture",
                    "migrate_feature_db_fixture",
                    "migrate_task_db_fixture",
                    "migrate_keeps_other_tables_and_blank_lines",
                    "migrate_baseline_phase4_file_keeps_versions_and_times",
                    "migrate_real_databases_when_present",
                ],
            ),
        },
        Item {
            text: "8 processes x 100 optimistic cycles: every commit lands or conflicts, final state = serial replay, no silent overwrite",
            check: tests(
                "versioning",
                "stress",
                &["eight_processes_optimistic_cycles_land_or_conflict_never_overwrite"],
            ),
        },
    ],
};
