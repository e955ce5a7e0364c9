//! Rate limits and throttles: the [`Limiter`] that delivery keeps them with, and
//! [`LocalLimiter`], the one kept in this process.
//!
//! A limiter lets a request go once no throttle holds and one of `max` places is free; the
//! request holds its place from the moment it is sent until `per` after its answer arrived (or
//! it was given up). DingTalk counts a request when it arrives, which is after it was sent and
//! before its answer: so any window of length `per` on DingTalk's clock sees at most `max` of
//! them, whatever the network's delays. A throttle answer holds every send for the penalty.
//!
//! [`Limiter`] is a trait object chosen when a robot is built, so that limits can be kept
//! elsewhere (shared with other processes, through a store whose calls are async and may
//! fail). Only [`acquire`](Limiter::acquire) waits; giving a place back and holding for a
//! throttle never do, since they must also work where nothing can wait (an attempt dropped
//! mid-way, its runtime shutting down).
//!
//! [`LocalLimiter`]'s state is plain data (places in flight, and the instants at which freed
//! places come back), read against tokio's clock: no task runs to give a place back, so the
//! limit holds whichever runtime, or how many, the robot is used from. Waiting is first come,
//! first served (behind a fair async mutex), and nothing blocks a thread.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::Error;

/// A boxed future, for the async methods of a trait object.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Keeps a destination's rate limit and throttle, for every sender that shares them.
pub(crate) trait Limiter: Send + Sync + fmt::Debug {
    /// Waits until a request may be sent (no throttle holds, and a place in the limit is free)
    /// and takes the place for it; first come, first served. An error (a shared limiter that
    /// cannot be reached) fails the attempt as its kind says: a transient kind is retried.
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>>;

    /// The request that took `slot` was answered, or given up: its place comes back `per` from
    /// now.
    ///
    /// **Never waits, and is called where nothing can** (an attempt dropped mid-way, in
    /// `Drop`, perhaps as its runtime shuts down): it takes effect now, or, for a limiter that
    /// needs the network, starts the work in the background (a task or a channel of its own)
    /// and returns at once. Such a limiter must not need that work to finish: the process may
    /// end first, so a place whose release never reached the store must come back by itself
    /// (a store entry that expires `per` after the longest a request may take, say).
    fn release(&self, slot: Slot);

    /// DingTalk throttles the destination: every send holds for `penalty` from now (a longer
    /// hold already in place stays). Never waits, as [`release`](Limiter::release): it takes
    /// effect now for this process's senders, and a limiter that needs the network tells the
    /// others in the background.
    fn hold(&self, penalty: Duration);

    /// How many requests could be sent now without waiting: 0 while a throttle holds,
    /// `usize::MAX` without a limit. Never waits: a shared limiter answers from what it saw
    /// last.
    fn available(&self) -> usize;

    /// How much longer a throttle holds (zero if none does). Never waits, as
    /// [`available`](Limiter::available).
    fn held_for(&self) -> Duration;

    /// Whether a throttle holds now.
    fn is_held(&self) -> bool {
        !self.held_for().is_zero()
    }

    /// How long until a request could be sent, as far as this limiter knows now (never
    /// waits): the throttle's hold left, zero when a place is free, else when the next place
    /// is expected back; `None` when it cannot tell.
    fn free_in(&self) -> Option<Duration> {
        let held = self.held_for();
        if !held.is_zero() {
            return Some(held);
        }
        (self.available() > 0).then_some(Duration::ZERO)
    }
}

/// One request's place in a limit, from its sending until its answer: give it back with
/// [`Limiter::release`] (or through [`InFlight`], which gives it back when dropped too). It
/// carries what its limiter needs to find the place again: nothing (0), for [`LocalLimiter`],
/// which counts places; the name of its entry, for a limiter that keeps places in a store.
#[must_use = "a place not given back is lost to the limit until the limiter forgets it"]
#[derive(Debug)]
pub(crate) struct Slot {
    id: u64,
}

impl Slot {
    /// The place named `id` by the limiter that took it.
    pub(crate) fn new(id: u64) -> Slot {
        Slot { id }
    }

    /// The name its limiter gave it.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// A place taken for one attempt. Given back when the attempt ends, and also when the attempt
/// is dropped mid-way (its runtime shut down): the limiter may outlive the runtime. Both go
/// through [`Limiter::release`], which never waits.
pub(crate) struct InFlight<'a> {
    limiter: &'a dyn Limiter,
    slot: Option<Slot>,
}

impl<'a> InFlight<'a> {
    /// Waits for a place in `limiter`'s limit; see [`Limiter::acquire`].
    pub async fn acquire(limiter: &'a dyn Limiter) -> Result<InFlight<'a>, Error> {
        let slot = limiter.acquire().await?;
        Ok(InFlight {
            limiter,
            slot: Some(slot),
        })
    }

    /// The answer is in, or the request was given up; see [`Limiter::release`].
    pub fn release(mut self) {
        if let Some(slot) = self.slot.take() {
            self.limiter.release(slot);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        // Dropped before `release`: the request may have gone out, so it counts from now.
        if let Some(slot) = self.slot.take() {
            self.limiter.release(slot);
        }
    }
}

/// A limit of `max` requests per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Limit {
    pub max: u32,
    pub per: Duration,
}

/// The limit and throttle of one destination, kept in this process: shared by every `Robot`
/// for the same webhook through [`LocalLimiter::shared`].
#[derive(Debug)]
pub(crate) struct LocalLimiter {
    limit: Option<Limit>,
    state: Mutex<State>,
    /// The turnstile: one waiter at a time looks for a place, in the order they came.
    turn: tokio::sync::Mutex<()>,
    /// A place was given back.
    released: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Requests sent and not yet answered.
    in_flight: usize,
    /// When each place freed by an answer comes back, earliest first.
    returning: VecDeque<Instant>,
    /// Until when DingTalk throttles the robot: nothing is sent before.
    held_until: Option<Instant>,
}

impl State {
    /// Forgets places that have come back by `now`.
    fn settle(&mut self, now: Instant) {
        while self.returning.front().is_some_and(|&t| t <= now) {
            self.returning.pop_front();
        }
    }

    /// Whether anything in this state still matters after `now`.
    fn busy(&self, now: Instant) -> bool {
        self.in_flight > 0
            || self.returning.back().is_some_and(|&t| t > now)
            || self.held_until.is_some_and(|t| t > now)
    }
}

impl LocalLimiter {
    fn new(limit: Option<Limit>) -> LocalLimiter {
        LocalLimiter {
            limit,
            state: Mutex::new(State::default()),
            turn: tokio::sync::Mutex::new(()),
            released: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The limiter of the destination `key` (a webhook's host, port and access_token) with
    /// `limit`: one in the process while any `Robot` for it lives, while a request it let
    /// through has not yet left the window, and while DingTalk throttles the destination. So
    /// `Robot`s built one after the other for the same webhook share one limit and one
    /// throttle. (A `Robot` that asks for another limit gets a limiter of its own.)
    pub fn shared(key: &str, limit: Option<Limit>) -> Arc<LocalLimiter> {
        type Registry = Mutex<HashMap<(String, Option<Limit>), Arc<LocalLimiter>>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Kept while used by a robot, or while its past still limits its future.
        registry.retain(|_, limiter| Arc::strong_count(limiter) > 1 || limiter.state().busy(now));
        Arc::clone(
            registry
                .entry((key.to_owned(), limit))
                .or_insert_with(|| Arc::new(LocalLimiter::new(limit))),
        )
    }

    /// Waits for a throttle to end and for a free place in the limit, and takes it.
    async fn take_place(&self) {
        let _turn = self.turn.lock().await;
        loop {
            let released = self.released.notified();
            let wait_until = {
                let now = Instant::now();
                let mut state = self.state();
                state.settle(now);
                match (state.held_until, self.limit) {
                    (Some(until), _) if until > now => Some(until),
                    (_, None) => {
                        state.in_flight += 1;
                        return;
                    }
                    (_, Some(limit)) => {
                        let used = state.in_flight + state.returning.len();
                        if used < limit.max as usize {
                            state.in_flight += 1;
                            return;
                        }
                        // Full: the next place comes back at the earliest return, or when a
                        // request in flight is answered.
                        state.returning.front().copied()
                    }
                }
            };
            match wait_until {
                Some(until) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until) => {}
                        _ = released => {}
                    }
                }
                None => released.await,
            }
        }
    }

    fn give_back(&self) {
        let now = Instant::now();
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(limit) = self.limit {
            // Answers arrive in any order; keep the returns sorted.
            let back = now + limit.per;
            let at = state.returning.partition_point(|&t| t <= back);
            state.returning.insert(at, back);
        }
        drop(state);
        self.released.notify_waiters();
    }

    /// The places taken now: how many requests are in flight, and how long each place freed
    /// by an answer still counts. For a limiter that kept the limit in its stead for a while
    /// and hands it back.
    pub fn outstanding(&self) -> (usize, Vec<Duration>) {
        let now = Instant::now();
        let mut state = self.state();
        state.settle(now);
        let returning = state.returning.iter().map(|&t| t - now).collect();
        (state.in_flight, returning)
    }

    fn hold_for(&self, penalty: Duration) {
        // A penalty too long to add holds for about 30 years.
        let now = Instant::now();
        let until = now
            .checked_add(penalty)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 24 * 3600));
        let mut state = self.state();
        if state.held_until.is_none_or(|h| h < until) {
            state.held_until = Some(until);
        }
    }
}

impl Limiter for LocalLimiter {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(async move {
            self.take_place().await;
            Ok(Slot::new(0))
        })
    }

    fn release(&self, slot: Slot) {
        let Slot { id: _ } = slot;
        self.give_back();
    }

    fn hold(&self, penalty: Duration) {
        self.hold_for(penalty);
    }

    fn available(&self) -> usize {
        let now = Instant::now();
        let mut state = self.state();
        state.settle(now);
        if state.held_until.is_some_and(|u| u > now) {
            return 0;
        }
        match self.limit {
            None => usize::MAX,
            Some(limit) => {
                (limit.max as usize).saturating_sub(state.in_flight + state.returning.len())
            }
        }
    }

    fn held_for(&self) -> Duration {
        self.state().held_until.map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        })
    }

    fn free_in(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut state = self.state();
        state.settle(now);
        if let Some(until) = state.held_until.filter(|&u| u > now) {
            return Some(until - now);
        }
        let Some(limit) = self.limit else {
            return Some(Duration::ZERO);
        };
        if state.in_flight + state.returning.len() < limit.max as usize {
            return Some(Duration::ZERO);
        }
        // A place in flight comes back `per` after its answer: no sooner than `per` from now.
        Some(
            state
                .returning
                .front()
                .map_or(limit.per, |&back| (back - now).min(limit.per)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, per: Duration) -> Arc<dyn Limiter> {
        Arc::new(LocalLimiter::new(Some(Limit { max, per })))
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_per_window_counted_from_the_answers() {
        let limiter = limiter(2, Duration::from_secs(60));
        let start = Instant::now();
        let a = limiter.acquire().await.unwrap();
        let b = limiter.acquire().await.unwrap();
        assert_eq!(limiter.available(), 0);
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.release(a);
        limiter.release(b);
        // The third waits for 60 s after the first answer, not after the first send.
        let _c = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(65));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_holds_its_place_until_answered() {
        let limiter = limiter(1, Duration::from_secs(1));
        let start = Instant::now();
        let a = limiter.acquire().await.unwrap();
        let waiter = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                let _b = limiter.acquire().await.unwrap();
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_secs(30)).await;
        limiter.release(a);
        let got = waiter.await.unwrap();
        assert_eq!(got - start, Duration::from_secs(31));
    }

    #[tokio::test(start_paused = true)]
    async fn a_place_comes_back_when_its_attempt_stops_midway() {
        let limiter = limiter(1, Duration::from_secs(60));
        // An attempt dropped before its answer (its runtime shut down, say).
        drop(InFlight::acquire(&*limiter).await.unwrap());
        assert_eq!(
            limiter.available(),
            0,
            "it may have gone out: it counts from now"
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(limiter.available(), 1);
        InFlight::acquire(&*limiter).await.unwrap().release();
        assert_eq!(limiter.available(), 0);
    }

    /// A limiter kept elsewhere, as a shared store would keep it: taking a place is a round
    /// trip, and giving one back is a write that a task of its own sends, a round trip later.
    #[derive(Debug)]
    struct Remote {
        /// The places the store counts as taken.
        store: Arc<Mutex<usize>>,
        writes: tokio::sync::mpsc::UnboundedSender<()>,
    }

    const ROUND_TRIP: Duration = Duration::from_millis(5);

    impl Remote {
        fn start() -> Remote {
            let store = Arc::new(Mutex::new(0));
            let (writes, mut pending) = tokio::sync::mpsc::unbounded_channel();
            let written = Arc::clone(&store);
            tokio::spawn(async move {
                while let Some(()) = pending.recv().await {
                    tokio::time::sleep(ROUND_TRIP).await;
                    *written.lock().unwrap() -= 1;
                }
            });
            Remote { store, writes }
        }

        fn taken(&self) -> usize {
            *self.store.lock().unwrap()
        }
    }

    impl Limiter for Remote {
        fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
            Box::pin(async move {
                tokio::time::sleep(ROUND_TRIP).await;
                *self.store.lock().unwrap() += 1;
                Ok(Slot::new(0))
            })
        }

        fn release(&self, slot: Slot) {
            let Slot { id: _ } = slot;
            // The write starts now and lands in the background.
            let _ = self.writes.send(());
        }

        fn hold(&self, _penalty: Duration) {}

        fn available(&self) -> usize {
            usize::MAX
        }

        fn held_for(&self) -> Duration {
            Duration::ZERO
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_limiter_that_needs_the_network_gets_back_the_place_of_a_dropped_attempt() {
        let remote = Arc::new(Remote::start());
        // An attempt waiting for its answer when its task stops (its runtime shutting down).
        let attempt = {
            let remote = Arc::clone(&remote);
            tokio::spawn(async move {
                let _place = InFlight::acquire(&*remote).await.unwrap();
                std::future::pending::<()>().await;
            })
        };
        tokio::time::sleep(2 * ROUND_TRIP).await;
        assert_eq!(remote.taken(), 1);
        attempt.abort();
        assert!(attempt.await.unwrap_err().is_cancelled());
        tokio::time::sleep(2 * ROUND_TRIP).await;
        assert_eq!(remote.taken(), 0, "the write the drop started has landed");
        // And the attempt that ends well.
        let place = InFlight::acquire(&*remote).await.unwrap();
        assert_eq!(remote.taken(), 1);
        place.release();
        tokio::time::sleep(2 * ROUND_TRIP).await;
        assert_eq!(remote.taken(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_holds_everything_until_it_ends() {
        let limiter = limiter(20, Duration::from_secs(60));
        limiter.hold(Duration::from_secs(600));
        assert!(limiter.is_held());
        assert_eq!(limiter.available(), 0);
        let start = Instant::now();
        let slot = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(600));
        limiter.release(slot);
        limiter.hold(Duration::MAX);
        assert!(limiter.is_held());
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_limit_only_a_throttle_holds() {
        let limiter: Arc<dyn Limiter> = Arc::new(LocalLimiter::new(None));
        assert_eq!(limiter.available(), usize::MAX);
        let slots: Vec<Slot> = acquire_many(&*limiter, 100).await;
        assert_eq!(limiter.available(), usize::MAX);
        for slot in slots {
            limiter.release(slot);
        }
        limiter.hold(Duration::from_secs(10));
        assert_eq!(limiter.available(), 0);
        let start = Instant::now();
        let _slot = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
    }

    async fn acquire_many(limiter: &dyn Limiter, n: usize) -> Vec<Slot> {
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(limiter.acquire().await.unwrap());
        }
        slots
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let limiter = limiter(1, Duration::from_secs(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = limiter.acquire().await.unwrap();
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (limiter, order) = (Arc::clone(&limiter), Arc::clone(&order));
                tokio::spawn(async move {
                    let slot = limiter.acquire().await.unwrap();
                    order.lock().unwrap().push(i);
                    limiter.release(slot);
                })
            })
            .collect();
        // Let every task queue up, in order, before the first place frees.
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        limiter.release(first);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_across_runtimes() {
        // Places come back by the clock, not by a task of the runtime that sent.
        let limiter = limiter(1, Duration::from_secs(60));
        let slot = limiter.acquire().await.unwrap();
        limiter.release(slot);
        assert_eq!(limiter.available(), 0);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(limiter.available(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limiter_outlives_its_robots_while_it_matters() {
        let limit = Some(Limit {
            max: 20,
            per: Duration::from_secs(60),
        });
        let a: Arc<dyn Limiter> = LocalLimiter::shared("x:1 token-a", limit);
        let slot = a.acquire().await.unwrap();
        a.release(slot);
        let ptr = Arc::as_ptr(&a).cast::<()>();
        drop(a);
        // A request left within the minute: a robot built now shares its limit.
        let b = LocalLimiter::shared("x:1 token-a", limit);
        assert_eq!(Arc::as_ptr(&b).cast::<()>(), ptr);
        assert_eq!(b.available(), 19);
        let c = LocalLimiter::shared("x:1 token-b", limit);
        assert!(!Arc::ptr_eq(&b, &c));
        drop(b);
        tokio::time::advance(Duration::from_secs(61)).await;
        // Nothing matters any more: a fresh one.
        let d = LocalLimiter::shared("x:1 token-a", limit);
        assert_eq!(d.available(), 20);
    }
}
