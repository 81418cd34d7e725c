//! How many transcoding runners should exist for the work there is: the one decision behind
//! runners that exist only while there is work (Cloudflare Containers, or the local process
//! launcher of `make dev`). Pure: the platform's fleet object counts the slots alive and starts
//! the ones this names.
//!
//! Runners are numbered slots `0..max`, so that "at most `max`" holds however many hints arrive
//! at once: starting a slot that is already alive is a no-op on every platform, and two hints
//! racing on the same count name the same slots.

use edgetube_ports::Backlog;

/// The runners the backlog needs: one per job held or waiting, at most `max`.
pub fn wanted(backlog: Backlog, max: u32) -> u32 {
    let work = backlog.pending.saturating_add(backlog.processing);
    u32::try_from(work).unwrap_or(u32::MAX).min(max)
}

/// The slots to start, lowest free first, so that the fleet reaches [`wanted`] runners given the
/// slots alive now (`alive` may list slots at or beyond `max` if the maximum was lowered: they
/// count as runners, and none is added for them).
///
/// Nothing is ever stopped here: a runner stops itself after its idle time
/// (`transcode-runner run --exit-when-idle`), which also covers the job it may be finishing.
pub fn slots_to_start(backlog: Backlog, max: u32, alive: &[u32]) -> Vec<u32> {
    let wanted = wanted(backlog, max) as usize;
    let missing = wanted.saturating_sub(alive.len());
    (0..max).filter(|slot| !alive.contains(slot)).take(missing).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(pending: u64, processing: u64) -> Backlog {
        Backlog { pending, processing }
    }

    #[test]
    fn no_work_starts_nothing() {
        assert_eq!(slots_to_start(backlog(0, 0), 4, &[]), Vec::<u32>::new());
        assert_eq!(wanted(backlog(0, 0), 4), 0);
    }

    #[test]
    fn one_job_starts_the_first_slot() {
        assert_eq!(slots_to_start(backlog(1, 0), 2, &[]), vec![0]);
    }

    #[test]
    fn a_backlog_is_capped_at_the_maximum() {
        assert_eq!(slots_to_start(backlog(5, 0), 2, &[]), vec![0, 1]);
        assert_eq!(slots_to_start(backlog(u64::MAX, u64::MAX), 3, &[]), vec![0, 1, 2]);
    }

    #[test]
    fn alive_slots_count_and_free_ones_are_taken_lowest_first() {
        // Slot 0 works on one job, a second job waits: one more runner, in slot 1.
        assert_eq!(slots_to_start(backlog(1, 1), 3, &[0]), vec![1]);
        // Slot 1 alive, slot 0 exited: the gap is filled.
        assert_eq!(slots_to_start(backlog(2, 0), 3, &[1]), vec![0]);
        // Enough alive already (an idle one takes the job).
        assert_eq!(slots_to_start(backlog(1, 0), 3, &[2]), Vec::<u32>::new());
    }

    #[test]
    fn a_full_fleet_starts_no_third_runner() {
        assert_eq!(slots_to_start(backlog(3, 0), 2, &[0, 1]), Vec::<u32>::new());
    }

    #[test]
    fn slots_beyond_a_lowered_maximum_count_but_are_never_started() {
        assert_eq!(slots_to_start(backlog(4, 0), 2, &[5]), vec![0]);
        assert_eq!(slots_to_start(backlog(4, 0), 0, &[]), Vec::<u32>::new());
    }
}
