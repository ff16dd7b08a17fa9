//! Phase 1's checklist (atomic-io): each item and the tests of `atomic-io` that prove it.

use super::{Check, Item, Phase, tests};

const fn p1(names: &'static [&'static str]) -> Check {
    tests("atomic-io", "replace", names)
}

const fn p1_failed_writes(names: &'static [&'static str]) -> Check {
    tests("atomic-io", "failed_writes", names)
}

const fn p1_power_loss(names: &'static [&'static str]) -> Check {
    tests("atomic-io", "power_loss", names)
}

/// Phase 1: atomic-io's checklist.
pub const PHASE: Phase = Phase {
    number: 1,
    title: "atomic-io: a file is always the complete old or the complete new content",
    env: &[],
    items: &[
        Item {
            text: "normal save creates the target",
            check: p1(&["save_creates_target_with_exact_bytes_and_leaves_no_temp"]),
        },
        Item {
            text: "no temp remains after commit",
            check: p1(&[
                "save_creates_target_with_exact_bytes_and_leaves_no_temp",
                "dropped_writer_leaves_target_untouched_and_no_temp",
            ]),
        },
        Item {
            text: "killed writer leaves its temp and cleanup removes it, keeping a live writer's temp and an unrelated x.tmp",
            check: p1(&[
                "killed_writer_leaves_temp_that_cleanup_removes_keeping_live_temp_and_unrelated_tmp",
                "cleanup_in_the_writers_own_process_keeps_its_live_temp",
            ]),
        },
        Item {
            text: "readable and complete after every save",
            check: p1(&["file_is_readable_and_complete_after_every_save"]),
        },
        Item {
            text: "failed write keeps old content (writer error; full disk)",
            check: p1_failed_writes(&[
                "failed_write_keeps_old_content_on_writer_error",
                "full_disk_keeps_old_content_and_leaves_no_temp",
            ]),
        },
        Item {
            text: "two unlocked writers never tear",
            check: p1(&["two_processes_racing_never_tear_or_mix_contents"]),
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
            check: p1_power_loss(&[
                "power_loss_never_loses_an_acknowledged_durable_write",
                "power_loss_harness_catches_a_skipped_file_flush",
                "power_loss_harness_catches_a_skipped_dir_flush",
            ]),
        },
    ],
};
