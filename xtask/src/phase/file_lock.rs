//! Phase 2's checklist (file-lock): each item and the tests of `file-lock` that prove it.

use super::{Check, Item, Phase, tests};

const fn p2(names: &'static [&'static str]) -> Check {
    tests("file-lock", "lock", names)
}

const fn p2_threads(names: &'static [&'static str]) -> Check {
    tests("file-lock", "threads", names)
}

/// Phase 2: file-lock's checklist.
pub const PHASE: Phase = Phase {
    number: 2,
    title: "file-lock: one writer at a time across processes and threads",
    env: &[],
    items: &[
        Item {
            text: "single acquire",
            check: p2(&["single_acquire_records_pid_and_host_in_sidecar"]),
        },
        Item {
            text: "second process waits then gets it",
            check: p2(&["second_process_waits_and_gets_lock_only_after_release"]),
        },
        Item {
            text: "timeout accuracy",
            check: p2(&["timeout_meets_deadline_and_names_path_mode_and_holder"]),
        },
        Item {
            text: "release on drop",
            check: p2(&["release_on_drop_lets_another_process_try_lock"]),
        },
        Item {
            text: "SIGKILLed holder frees at once",
            check: p2(&["sigkilled_holder_frees_lock_at_once"]),
        },
        Item {
            text: "shared locks coexist and exclude writers",
            check: p2(&[
                "shared_locks_coexist_across_processes_and_exclude_writers",
                "downgrade_admits_shared_but_not_exclusive",
            ]),
        },
        Item {
            text: "two handles in one process",
            check: p2_threads(&[
                "threads_with_separate_handles_queue_and_never_share",
                "threads_in_one_process_exclude_each_other_and_hand_off",
                "same_thread_locking_twice_is_an_error_not_a_hang",
                "guard_moves_between_threads_and_releases_there",
            ]),
        },
        Item {
            text: "2/4/8 processes x 1,000 increments exact",
            check: p2(&[
                "counter_2_processes_no_lost_updates",
                "counter_4_processes_no_lost_updates",
                "counter_8_processes_no_lost_updates",
            ]),
        },
    ],
};
