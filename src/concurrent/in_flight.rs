//! One-shot checks without a fence: which threads are inside one, so that the writer
//! can tell when no check still reads a copy it swapped out.
//!
//! A check through [`Reader`](super::Reader) marks its thread's slot (an odd sequence
//! number), then reads the published pointer, checks, and marks the slot again (even).
//! That store-then-load order would ordinarily need a full fence on the check's side,
//! and a fence does more harm than its own cost: the processor cannot start the next
//! check's memory reads until this one's are done, so consecutive checks stop
//! overlapping their cache misses. Here the writer pays instead, once per publish: a
//! process-wide barrier (`membarrier(2)` on Linux; elsewhere, or if the kernel lacks it,
//! an ordinary fence on both sides), after which every check either shows in flight in
//! its slot or reads the new pointer. This module holds the crate's only `unsafe`: the
//! dereference of that pointer, and the system call.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::graph::Graph;

/// One thread's sequence number: odd while the thread is inside a check. Only the
/// thread that owns the slot writes it; a line of its own, so that checks on
/// different threads do not write to one line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Slot {
    sequence: AtomicU64,
    /// Whether a live thread owns the slot. A thread takes a free slot at its first
    /// check and frees it when it exits, so there are never more slots than threads
    /// that checked at one time.
    owned: AtomicBool,
}

/// Every slot, owned or free. Slots live as long as the process (one line each), so a
/// check can hold its thread's slot without counting references.
static SLOTS: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

fn slots() -> MutexGuard<'static, Vec<&'static Slot>> {
    SLOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A thread's slot, taken at its first check and freed when the thread exits.
struct Owned(&'static Slot);

impl Owned {
    fn take() -> Owned {
        // `owned` changes only under the registry's lock.
        let mut slots = slots();
        let slot = match slots
            .iter()
            .find(|slot| !slot.owned.load(Ordering::Relaxed))
        {
            Some(&slot) => slot,
            None => {
                let slot: &'static Slot = Box::leak(Box::default());
                slots.push(slot);
                slot
            }
        };
        slot.owned.store(true, Ordering::Relaxed);
        Owned(slot)
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // The thread is not inside a check (its sequence is even); the registry's lock
        // orders this before the next owner's first check.
        let _slots = slots();
        self.0.owned.store(false, Ordering::Relaxed);
    }
}

thread_local! {
    static LOCAL: Owned = Owned::take();
}

/// A check in flight on the published graph: marks its thread's slot odd from
/// [`Published::enter`] until it is dropped (also if the check unwinds, so that a
/// panicking check cannot leave the writer waiting).
pub(super) struct Entered<'a> {
    slot: &'static Slot,
    sequence: u64,
    graph: &'a Graph,
}

impl std::ops::Deref for Entered<'_> {
    type Target = Graph;
    #[inline]
    fn deref(&self) -> &Graph {
        self.graph
    }
}

impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the check's reads of the graph come before the writer sees this.
        self.slot
            .sequence
            .store(self.sequence + 2, Ordering::Release);
    }
}

/// The published graph as one-shot checks read it: a plain pointer to the graph of the
/// `Arc` that is published. The writer sets it at each publish, and keeps the copy it
/// replaced, unchanged and alive, until [`wait_for_checks_in_flight`] returns.
#[derive(Debug)]
pub(super) struct Published(AtomicPtr<Graph>);

impl Published {
    pub(super) fn new(graph: &Arc<Graph>) -> Published {
        // Before any check can read it, so that checks know which barrier pairs with
        // the writer's.
        barrier::init();
        Published(AtomicPtr::new(Arc::as_ptr(graph).cast_mut()))
    }

    /// Publishes `graph`. The caller keeps the graph published before alive and
    /// unchanged until it has called [`wait_for_checks_in_flight`] after this.
    pub(super) fn set(&self, graph: &Arc<Graph>) {
        self.0
            .store(Arc::as_ptr(graph).cast_mut(), Ordering::Release);
    }

    /// Enters a check on the published graph, or `None` if this thread's slot is gone
    /// (a check made from a thread-local destructor while the thread exits). At most
    /// one at a time per thread: the `Reader` enters only for one check.
    #[inline]
    pub(super) fn enter(&self) -> Option<Entered<'_>> {
        let slot = LOCAL.try_with(|owned| owned.0).ok()?;
        let sequence = slot.sequence.load(Ordering::Relaxed);
        debug_assert!(sequence % 2 == 0, "a check inside a check");
        slot.sequence.store(sequence + 1, Ordering::Relaxed);
        // Pairs with the writer's heavy barrier: either the writer sees the slot odd, or
        // this thread reads the pointer the writer stored before its barrier.
        barrier::light();
        let graph = self.0.load(Ordering::Acquire);
        // SAFETY: `graph` points at the graph of an `Arc` that was published
        // (`Published::new` or `set`, from the writer's `Arc`s only). While it is
        // published, the `ArcSwap` of the same `Shared` holds that `Arc`, and our
        // caller's `Reader` holds the `Shared` for at least `'_`. Once the writer has
        // replaced it, it keeps the `Arc` (`Writer::retired`) and neither changes nor
        // drops the graph before `wait_for_checks_in_flight` returns, which cannot
        // happen before the `Entered` returned here marks the slot even again: the slot
        // was marked odd before the pointer was loaded, and the barrier pair means that
        // the writer either saw that mark or this load saw the newer pointer. Only
        // shared references to the graph exist meanwhile.
        #[allow(unsafe_code)]
        let graph = unsafe { &*graph };
        Some(Entered {
            slot,
            sequence,
            graph,
        })
    }
}

/// Returns once no check still reads a graph that was published before the last
/// [`Published::set`] of the calling thread: every check in flight at the barrier has
/// left (see [`back_off`]).
pub(super) fn wait_for_checks_in_flight() {
    barrier::heavy();
    let started = Instant::now();
    for slot in slots().iter() {
        let seen = slot.sequence.load(Ordering::Acquire);
        if seen % 2 == 0 {
            continue;
        }
        while slot.sequence.load(Ordering::Acquire) == seen {
            back_off(started);
        }
    }
}

/// One turn of waiting, since `started`, for readers to leave a copy. A check takes
/// nanoseconds: spin a little while the reader finishes on its core, and give the core
/// away only if it takes long (the reader's thread was descheduled).
pub(super) fn back_off(started: Instant) {
    if started.elapsed() < Duration::from_micros(200) {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// The barrier pair: [`light`](barrier::light) on the check's side, between marking
/// its slot and loading the pointer; [`heavy`](barrier::heavy) on the writer's, between
/// storing the pointer and reading the slots.
#[cfg(target_os = "linux")]
mod barrier {
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, Ordering, compiler_fence, fence};

    use libc::{c_int, c_long};

    // From linux/membarrier.h.
    const QUERY: c_int = 0;
    const PRIVATE_EXPEDITED: c_int = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: c_int = 1 << 4;

    static INIT: Once = Once::new();
    /// Whether this process is registered for `MEMBARRIER_CMD_PRIVATE_EXPEDITED`. Set
    /// once, before the first check; a check that read it as false would only fence
    /// more than it needs.
    static EXPEDITED: AtomicBool = AtomicBool::new(false);

    fn membarrier(command: c_int) -> c_long {
        // SAFETY: membarrier(2) takes two integers (the command and its flags, and a
        // CPU id it ignores here) and reads or writes no memory of this process.
        #[allow(unsafe_code)]
        unsafe {
            libc::syscall(libc::SYS_membarrier, command, 0 as c_int, 0 as c_int)
        }
    }

    fn register() -> bool {
        membarrier(REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub fn init() {
        INIT.call_once(|| {
            let supported = membarrier(QUERY);
            let wanted = c_long::from(PRIVATE_EXPEDITED | REGISTER_PRIVATE_EXPEDITED);
            let expedited = supported >= 0 && supported & wanted == wanted && register();
            EXPEDITED.store(expedited, Ordering::Relaxed);
        });
    }

    #[inline]
    pub fn light() {
        if EXPEDITED.load(Ordering::Relaxed) {
            // The writer's barrier interrupts this thread, which orders its accesses.
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    pub fn heavy() {
        fence(Ordering::SeqCst);
        if EXPEDITED.load(Ordering::Relaxed)
            // A process forked from a registered one starts unregistered.
            && membarrier(PRIVATE_EXPEDITED) != 0
            && !(register() && membarrier(PRIVATE_EXPEDITED) == 0)
        {
            // Checks run without a fence, relying on this barrier: carrying on could
            // change a graph a check is reading.
            eprintln!("privgraph: membarrier(2) failed after it had been registered");
            std::process::abort();
        }
        fence(Ordering::SeqCst);
    }
}

/// Elsewhere: an ordinary fence on both sides.
#[cfg(not(target_os = "linux"))]
mod barrier {
    use std::sync::atomic::{Ordering, fence};

    pub fn init() {}

    #[inline]
    pub fn light() {
        fence(Ordering::SeqCst);
    }

    pub fn heavy() {
        fence(Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;

    use super::*;

    /// The tests here that start checking threads, one at a time: each looks at the
    /// process's slots, which the others' threads take and free.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn alone() -> MutexGuard<'static, ()> {
        ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writer's wait returns only after a check that was in flight at its barrier
    /// has left, however long the check takes.
    #[test]
    fn the_wait_outlasts_a_check_in_flight() {
        let _alone = alone();
        let published = Published::new(&Arc::new(Graph::new()));
        let left = AtomicBool::new(false);
        let (inside, entered) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let graph = published.enter().unwrap();
                inside.send(graph.revision()).unwrap();
                // Long enough that a wait that did not wait would return first.
                std::thread::sleep(Duration::from_millis(100));
                left.store(true, Ordering::SeqCst);
            });
            assert_eq!(entered.recv().unwrap(), 0);
            wait_for_checks_in_flight();
            assert!(
                left.load(Ordering::SeqCst),
                "the wait returned during the check"
            );
        });
    }

    /// A thread takes a slot at its first check and frees it when it exits; the next
    /// thread takes a free slot rather than a new one.
    #[test]
    fn slots_come_and_go_with_their_threads() {
        let _alone = alone();
        let published = Published::new(&Arc::new(Graph::new()));
        let check = || {
            drop(published.enter().unwrap());
            let slot = LOCAL.with(|owned| owned.0);
            assert!(slot.owned.load(Ordering::Relaxed));
            assert_eq!(slot.sequence.load(Ordering::Relaxed) % 2, 0);
            slot
        };
        let first = std::thread::scope(|scope| scope.spawn(check).join().unwrap());
        assert!(slots().iter().any(|s| std::ptr::eq(*s, first)));
        assert!(
            !first.owned.load(Ordering::Relaxed),
            "freed at the thread's exit"
        );
        let count = slots().len();
        std::thread::scope(|scope| scope.spawn(check).join().unwrap());
        assert!(slots().len() <= count, "a free slot was taken again");
    }
}
