//! The rate limit of one robot, shared by every `Robot` that sends to it.
//!
//! Each request holds one of `max` permits from the moment it is sent until `per` after its
//! answer arrived (or it was given up). DingTalk counts a request when it arrives, which is
//! after it was sent and before its answer: so any window of length `per` on DingTalk's clock
//! sees at most `max` of them, whatever the network's delays. Waiting is first come, first
//! served (tokio's semaphore is fair), and nothing blocks a thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
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
    permits: Arc<Semaphore>,
    /// Until when DingTalk throttles the robot: nothing is sent before.
    held_until: Mutex<Option<Instant>>,
}

/// A request's place in the limit: return it with [`Slot::release`] when the answer is in.
/// It keeps its limiter alive until the place is free again.
pub(crate) struct Slot {
    permit: Option<(OwnedSemaphorePermit, Arc<Limiter>)>,
    per: Duration,
}

impl Limiter {
    fn new(limit: Option<Limit>) -> Limiter {
        let permits = limit.map_or(Semaphore::MAX_PERMITS, |l| l.max as usize);
        Limiter {
            limit,
            permits: Arc::new(Semaphore::new(permits)),
            held_until: Mutex::new(None),
        }
    }

    /// The limiter of the robot `key` (its host, port and access_token) with `limit`: one in
    /// the process while any `Robot` for it lives, while a request it let through has not yet
    /// left the window, and while DingTalk throttles the robot. So `Robot`s built one after the
    /// other for the same webhook share one limit and one throttle. (A `Robot` that asks for
    /// another limit gets a limiter of its own.)
    pub fn shared(key: &str, limit: Option<Limit>) -> Arc<Limiter> {
        type Registry = Mutex<HashMap<(String, Option<Limit>), Weak<Limiter>>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        registry.retain(|_, limiter| limiter.strong_count() > 0);
        let key = (key.to_owned(), limit);
        if let Some(limiter) = registry.get(&key).and_then(Weak::upgrade) {
            return limiter;
        }
        let limiter = Arc::new(Limiter::new(limit));
        registry.insert(key, Arc::downgrade(&limiter));
        limiter
    }

    /// Waits for a throttle to end and for a free place in the limit.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            self.wait_for_throttle().await;
            let permit = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            // A throttle may have begun while this request waited for its place.
            if self
                .held_until()
                .is_none_or(|until| until <= Instant::now())
            {
                return Slot {
                    permit: Some((permit, Arc::clone(self))),
                    per: self.limit.map_or(Duration::ZERO, |l| l.per),
                };
            }
        }
    }

    /// Holds every send to the robot for `penalty` from now: DingTalk throttled it. The
    /// limiter stays alive until the hold ends, for `Robot`s built later.
    pub fn hold(self: &Arc<Self>, penalty: Duration) {
        // A penalty too long to add holds for about 30 years.
        let now = Instant::now();
        let until = now
            .checked_add(penalty)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 24 * 3600));
        let mut held = self.held_until.lock().unwrap_or_else(|e| e.into_inner());
        if held.is_none_or(|h| h < until) {
            *held = Some(until);
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let alive = Arc::clone(self);
            runtime.spawn(async move {
                tokio::time::sleep_until(until).await;
                drop(alive);
            });
        }
    }

    fn held_until(&self) -> Option<Instant> {
        *self.held_until.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn wait_for_throttle(&self) {
        while let Some(until) = self.held_until().filter(|&u| u > Instant::now()) {
            tokio::time::sleep_until(until).await;
        }
    }

    /// Whether DingTalk throttles the robot now.
    pub fn is_held(&self) -> bool {
        self.held_until().is_some_and(|u| u > Instant::now())
    }

    /// How many requests could be sent now without waiting.
    pub fn available(&self) -> usize {
        if self.held_until().is_some_and(|u| u > Instant::now()) {
            0
        } else {
            self.permits.available_permits()
        }
    }
}

impl Slot {
    /// The answer is in (or the request was given up): the place frees `per` from now.
    pub fn release(mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        if self.per.is_zero() {
            return;
        }
        let per = self.per;
        tokio::spawn(async move {
            tokio::time::sleep(per).await;
            drop(permit);
        });
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Dropped without `release` (the sending task was cancelled): the request may have
        // gone out, so the place still frees only after `per`, if a runtime is there to wait.
        if let Some(permit) = self.permit.take()
            && !self.per.is_zero()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let per = self.per;
            handle.spawn(async move {
                tokio::time::sleep(per).await;
                drop(permit);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, per: Duration) -> Limiter {
        Limiter::new(Some(Limit { max, per }))
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_per_window_counted_from_the_answers() {
        let limiter = Arc::new(limiter(2, Duration::from_secs(60)));
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
    async fn a_throttle_holds_everything_until_it_ends() {
        let limiter = Arc::new(limiter(20, Duration::from_secs(60)));
        limiter.hold(Duration::from_secs(600));
        let start = Instant::now();
        let slot = limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(600));
        slot.release();
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let limiter = Arc::new(limiter(1, Duration::from_secs(1)));
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
    async fn a_limiter_outlives_its_robots_while_it_matters() {
        let limit = Some(Limit {
            max: 20,
            per: Duration::from_secs(60),
        });
        let a = Limiter::shared("x:1 token-a", limit);
        let slot = a.acquire().await;
        slot.release();
        let ptr = Arc::as_ptr(&a);
        drop(a);
        // A request left within the minute: a robot built now shares its limit.
        let b = Limiter::shared("x:1 token-a", limit);
        assert_eq!(Arc::as_ptr(&b), ptr);
        assert_eq!(b.available(), 19);
        let c = Limiter::shared("x:1 token-b", limit);
        assert!(!Arc::ptr_eq(&b, &c));
    }
}
