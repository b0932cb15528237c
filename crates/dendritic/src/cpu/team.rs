//! The threads of the CPU fast path: the calling thread plus one helper per other core,
//! woken by a shared counter instead of a scheduler.
//!
//! A batch-10 step is a chain of about a dozen parallel sections of 20-100 µs each. Handing
//! each one to a thread pool whose idle workers sleep costs a wake-up (several µs, often
//! tens) per section, which on two cores ate the whole gain of the second core. Here the
//! helpers spin on an epoch counter for a short while after each section (so the next one
//! starts within a fraction of a microsecond) and only then park. `run` blocks until every
//! thread has finished its share, which is what makes lending the closure to the helpers
//! sound (the same argument as `std::thread::scope`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, Thread};

use super::denormals::FlushToZero;

/// Spin iterations before an idle helper parks (roughly 50-100 µs).
const SPINS: u32 = 50_000;

type Job = dyn Fn(usize) + Sync;

struct Shared {
    /// Bumped once per section; helpers run the job when they see a new value.
    epoch: AtomicU64,
    /// The section's job, valid while `run` waits: a pointer to a `&Job` on `run`'s stack.
    job: AtomicUsize,
    /// Helpers that finished the current section.
    done: AtomicUsize,
    /// Whether a helper panicked in the current section.
    panicked: AtomicBool,
    /// Helpers that may be parked and need an unpark.
    sleeping: AtomicUsize,
}

/// The calling thread plus `helpers.len()` parked-or-spinning helper threads.
pub(crate) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<Thread>,
}

impl Team {
    fn new(helpers: usize) -> Self {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            sleeping: AtomicUsize::new(0),
        });
        let helpers = (1..=helpers)
            .filter_map(|id| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("dendritic-cpu-{id}"))
                    .spawn(move || helper(id, &shared))
                    .ok()
                    .map(|handle| handle.thread().clone())
            })
            .collect();
        Self { shared, helpers }
    }

    /// Threads taking part in [`run`](Self::run), the caller included.
    pub fn size(&self) -> usize {
        self.helpers.len() + 1
    }

    /// Runs `job(i)` for every `i < size()`, `job(0)` on the calling thread, and returns when
    /// all have finished. A panic in any share is re-raised here.
    pub fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        if self.helpers.is_empty() {
            job(0);
            return;
        }
        let shared = &*self.shared;
        shared.done.store(0, Ordering::Relaxed);
        shared.panicked.store(false, Ordering::Relaxed);
        // A thin pointer to the (fat) reference on this stack frame; the helpers read it back
        // as `&Job` while this call waits for them.
        let slot = &job as *const &(dyn Fn(usize) + Sync);
        shared.job.store(slot as usize, Ordering::Relaxed);
        shared.epoch.fetch_add(1, Ordering::SeqCst);
        if shared.sleeping.load(Ordering::SeqCst) > 0 {
            self.helpers.iter().for_each(Thread::unpark);
        }
        let own = catch_unwind(AssertUnwindSafe(|| job(0)));
        let mut spins = 0u32;
        while shared.done.load(Ordering::Acquire) < self.helpers.len() {
            spins += 1;
            if spins < SPINS {
                std::hint::spin_loop();
            } else {
                thread::yield_now();
            }
        }
        if let Err(payload) = own {
            std::panic::resume_unwind(payload);
        }
        assert!(
            !shared.panicked.load(Ordering::Relaxed),
            "a dendritic CPU helper thread panicked"
        );
    }
}

fn helper(id: usize, shared: &Shared) {
    // The helper only ever runs fast-path sections: flush subnormals for its whole life.
    let _ftz = FlushToZero::new();
    let mut seen = 0u64;
    loop {
        let mut spins = 0u32;
        let epoch = loop {
            let epoch = shared.epoch.load(Ordering::Acquire);
            if epoch != seen {
                break epoch;
            }
            spins += 1;
            if spins < SPINS {
                std::hint::spin_loop();
            } else {
                // SeqCst on both sides: either `run` sees this helper asleep and unparks it,
                // or this helper sees the new epoch and does not park.
                shared.sleeping.fetch_add(1, Ordering::SeqCst);
                if shared.epoch.load(Ordering::SeqCst) == seen {
                    thread::park();
                }
                shared.sleeping.fetch_sub(1, Ordering::SeqCst);
                spins = 0;
            }
        };
        seen = epoch;
        let slot = shared.job.load(Ordering::Relaxed) as *const &Job;
        // SAFETY: `run` published this pointer before bumping the epoch and does not return
        // (so the closure stays alive) until this helper increments `done`.
        let job: &Job = unsafe { *slot };
        if catch_unwind(AssertUnwindSafe(|| job(id))).is_err() {
            shared.panicked.store(true, Ordering::Relaxed);
        }
        shared.done.fetch_add(1, Ordering::Release);
    }
}

/// How many threads the team may use: `RAYON_NUM_THREADS` when set to a positive number (the
/// same variable that sizes the tensor backends' thread pool, so `RAYON_NUM_THREADS=1` makes a
/// whole run single-threaded, e.g. to run two jobs side by side on two cores), else every core.
/// Runs `f` with the process-wide team, or on the calling thread alone when another thread
/// is using the team (two networks training concurrently) or the machine has one core.
pub(crate) fn with_team<R>(f: impl FnOnce(Option<&Team>) -> R) -> R {
    static TEAM: OnceLock<Mutex<Team>> = OnceLock::new();
    let team =
        TEAM.get_or_init(|| Mutex::new(Team::new(crate::parallel::threads().saturating_sub(1))));
    match team.try_lock() {
        Ok(team) => f(Some(&team)),
        // A step that panicked earlier left nothing half-done in the team itself.
        Err(std::sync::TryLockError::Poisoned(poisoned)) => f(Some(&poisoned.into_inner())),
        Err(std::sync::TryLockError::WouldBlock) => f(None),
    }
}

#[cfg(test)]
mod tests {
    use super::Team;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_share_runs_exactly_once_per_section() {
        let team = Team::new(1);
        let counts: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..1000 {
            team.run(&|i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
        }
        for c in &counts {
            assert_eq!(c.load(Ordering::Relaxed), 1000);
        }
    }

    #[test]
    fn a_panicking_share_is_reported_to_the_caller_and_the_team_keeps_working() {
        let team = Team::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            team.run(&|i| assert!(i == 0, "share {i} fails"));
        }));
        assert!(caught.is_err());
        let ran = AtomicUsize::new(0);
        team.run(&|_| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 2);
    }
}
