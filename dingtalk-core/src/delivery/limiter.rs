//! The rate limit of one robot, shared by every `Robot` that sends to it.
//!
//! Each request holds one of `max` places from the moment it is sent until `per` after its
//! answer arrived (or it was given up). DingTalk counts a request when it arrives, which is
//! after it was sent and before its answer: so any window of length `per` on DingTalk's clock
//! sees at most `max` of them, whatever the network's delays.
//!
//! The state is plain data (places in flight, and the instants at which freed places come
//! back), read against tokio's clock: no task runs to give a place back, so the limit holds
//! whichever runtime, or how many, the robot is used from. Waiting is first come, first served
//! (behind a fair async mutex), and nothing blocks a thread.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// A limit of `max` requests per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Limit {
    pub max: u32,
    pub per: Duration,
}

/// The limit and throttle state of one robot.
#[derive(Debug)]
pub(crate) struct Limiter {
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

/// A request's place in the limit: give it back with [`Slot::release`] when the answer is in.
/// Dropped without that (its task was cancelled), it counts as released then.
pub(crate) struct Slot {
    limiter: Option<Arc<Limiter>>,
}

impl Limiter {
    fn new(limit: Option<Limit>) -> Limiter {
        Limiter {
            limit,
            state: Mutex::new(State::default()),
            turn: tokio::sync::Mutex::new(()),
            released: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The limiter of the robot `key` (its host, port and access_token) with `limit`: one in
    /// the process while any `Robot` for it lives, while a request it let through has not yet
    /// left the window, and while DingTalk throttles the robot. So `Robot`s built one after the
    /// other for the same webhook share one limit and one throttle. (A `Robot` that asks for
    /// another limit gets a limiter of its own.)
    pub fn shared(key: &str, limit: Option<Limit>) -> Arc<Limiter> {
        type Registry = Mutex<HashMap<(String, Option<Limit>), Arc<Limiter>>>;
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
                .or_insert_with(|| Arc::new(Limiter::new(limit))),
        )
    }

    /// Waits for a throttle to end and for a free place in the limit.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
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
                        break;
                    }
                    (_, Some(limit)) => {
                        let used = state.in_flight + state.returning.len();
                        if used < limit.max as usize {
                            state.in_flight += 1;
                            break;
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
        Slot {
            limiter: Some(Arc::clone(self)),
        }
    }

    /// Holds every send to the robot for `penalty` from now: DingTalk throttled it.
    pub fn hold(&self, penalty: Duration) {
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

    /// Whether DingTalk throttles the robot now.
    pub fn is_held(&self) -> bool {
        self.state().held_until.is_some_and(|u| u > Instant::now())
    }

    /// How many requests could be sent now without waiting.
    pub fn available(&self) -> usize {
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
}

impl Slot {
    /// The answer is in (or the request was given up): the place comes back `per` from now.
    pub fn release(mut self) {
        if let Some(limiter) = self.limiter.take() {
            limiter.give_back();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Dropped without `release`: the request may have gone out, so it counts from now.
        if let Some(limiter) = self.limiter.take() {
            limiter.give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, per: Duration) -> Arc<Limiter> {
        Arc::new(Limiter::new(Some(Limit { max, per })))
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_per_window_counted_from_the_answers() {
        let limiter = limiter(2, Duration::from_secs(60));
        let start = Instant::now();
        let a = limiter.acquire().await;
        let b = limiter.acquire().await;
        assert_eq!(limiter.available(), 0);
        tokio::time::advance(Duration::from_secs(5)).await;
        a.release();
        b.release();
        // The third waits for 60 s after the first answer, not after the first send.
        let _c = limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(65));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_holds_its_place_until_answered() {
        let limiter = limiter(1, Duration::from_secs(1));
        let start = Instant::now();
        let a = limiter.acquire().await;
        let waiter = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                let _b = limiter.acquire().await;
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_secs(30)).await;
        a.release();
        let got = waiter.await.unwrap();
        assert_eq!(got - start, Duration::from_secs(31));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_holds_everything_until_it_ends() {
        let limiter = limiter(20, Duration::from_secs(60));
        limiter.hold(Duration::from_secs(600));
        assert!(limiter.is_held());
        assert_eq!(limiter.available(), 0);
        let start = Instant::now();
        let slot = limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(600));
        slot.release();
        limiter.hold(Duration::MAX);
        assert!(limiter.is_held());
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let limiter = limiter(1, Duration::from_secs(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = limiter.acquire().await;
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (limiter, order) = (Arc::clone(&limiter), Arc::clone(&order));
                tokio::spawn(async move {
                    let slot = limiter.acquire().await;
                    order.lock().unwrap().push(i);
                    slot.release();
                })
            })
            .collect();
        // Let every task queue up, in order, before the first place frees.
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        first.release();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_across_runtimes() {
        // Places come back by the clock, not by a task of the runtime that sent.
        let limiter = limiter(1, Duration::from_secs(60));
        limiter.acquire().await.release();
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
        let a = Limiter::shared("x:1 token-a", limit);
        a.acquire().await.release();
        let ptr = Arc::as_ptr(&a);
        drop(a);
        // A request left within the minute: a robot built now shares its limit.
        let b = Limiter::shared("x:1 token-a", limit);
        assert_eq!(Arc::as_ptr(&b), ptr);
        assert_eq!(b.available(), 19);
        let c = Limiter::shared("x:1 token-b", limit);
        assert!(!Arc::ptr_eq(&b, &c));
        drop(b);
        tokio::time::advance(Duration::from_secs(61)).await;
        // Nothing matters any more: a fresh one.
        let d = Limiter::shared("x:1 token-a", limit);
        assert_eq!(d.available(), 20);
    }
}
