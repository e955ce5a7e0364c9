//! [`RedisLimiter`]: a robot's rate limit and throttle kept in Redis, shared by every process
//! that sends to it.
//!
//! The places taken are a sorted set: each member names one request's place, its score the
//! time (Redis's clock, in ms) when it comes back. A place is taken, by one script, only when
//! no throttle holds (a key that expires with the penalty) and fewer than `max` places are
//! there; it counts for one lease (the longest its request may take, then the window), and its
//! answer brings it to `per` after the answer. So a process that dies mid-request leaves a
//! place that comes back by itself, and any window of `per` sees at most `max` requests,
//! whichever processes sent them.
//!
//! Giving a place back is a write that never waits: the place is noted, and goes to Redis
//! with the next script this limiter (or the shared queue, see [`RedisOutbox`]) runs, or, if
//! none comes within a few milliseconds, in a write of its own. The shared queue takes a place
//! for the next message in the same script that reads or finishes one; [`acquire`] hands that
//! place out first. A place is taken only for the process that holds the lease of the
//! robot's queue: one that stalled and lost it sends nothing more.
//!
//! [`RedisOutbox`]: super::RedisOutbox
//! [`acquire`]: Limiter::acquire

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::delivery::fleet::keys::Keys;
use crate::delivery::fleet::scripts::{HOLD_SCRIPT, LIMIT_SCRIPT, Placed, Unexpected};
use crate::delivery::fleet::store::Store;
use crate::delivery::limiter::{BoxFuture, Limit, Limiter, Slot};
use crate::error::Error;

/// How long a place taken ahead (by the script that read the message) stays good to send
/// with. Its lease has [`LEASE_MARGIN`] to spare for it.
const AHEAD_FRESH: Duration = Duration::from_secs(2);

/// Added to every place's lease beyond the request's timeout and the window: a place taken
/// ahead may wait up to [`AHEAD_FRESH`] before its request goes.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// How long a place given back waits for a script to carry it before it is written alone.
const RELEASE_DELAY: Duration = Duration::from_millis(5);

/// How long every key of a robot lives once nothing touches it.
pub(crate) const IDLE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest penalty written: about 30 years.
const FOREVER: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// A robot's limit and throttle in Redis. See the module's documentation.
pub(crate) struct RedisLimiter {
    store: Arc<Store>,
    keys: Keys,
    /// The token of the lease its places are taken under.
    lease_token: String,
    limit: Option<Limit>,
    /// How long a place counts until its answer comes.
    lease: Duration,
    /// Names this limiter's places: `<token>:<n>`.
    token: String,
    next: AtomicU64,
    /// The turnstile: waiters in this process look for a place one at a time, in order.
    turn: tokio::sync::Mutex<()>,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// A place taken ahead for the next request, and when.
    ahead: Option<(u64, Instant)>,
    /// Places given back and not yet written.
    unwritten: Vec<u64>,
    /// A write of its own is coming for `unwritten`.
    writing: bool,
    /// Free places as last seen.
    available: Option<u64>,
    /// Until when a throttle holds, as last seen or told.
    held_until: Option<Instant>,
}

/// What the scripts of the shared queue need to take a place on the limiter's behalf.
#[derive(Clone, Debug)]
pub(crate) struct PlaceArgs {
    pub max: String,
    pub per: String,
    pub lease: String,
    pub idle: String,
    /// The name of the place to take.
    pub id: String,
    pub(super) n: u64,
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

impl RedisLimiter {
    /// The limit of the robot with `keys`, kept in `store`: `limit`, or only throttles
    /// without one. A request waits at most `timeout` for its answer. Places are taken only
    /// while the robot's lease is `lease_token`'s.
    pub fn new(
        store: Arc<Store>,
        keys: Keys,
        lease_token: String,
        limit: Option<Limit>,
        timeout: Duration,
    ) -> RedisLimiter {
        let per = limit.map_or(Duration::ZERO, |l| l.per);
        RedisLimiter {
            store,
            keys,
            lease_token,
            limit,
            lease: timeout + per + LEASE_MARGIN,
            token: format!("{:016x}", fastrand::u64(..)),
            next: AtomicU64::new(1),
            turn: tokio::sync::Mutex::new(()),
            state: Arc::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn member(&self, n: u64) -> String {
        format!("{}:{n}", self.token)
    }

    /// The arguments that take the next place, in any script.
    pub fn place_args(&self) -> PlaceArgs {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        PlaceArgs {
            max: self.limit.map_or(0, |l| l.max).to_string(),
            per: millis(self.limit.map_or(Duration::ZERO, |l| l.per)),
            lease: millis(self.lease),
            idle: millis(IDLE),
            id: self.member(n),
            n,
        }
    }

    /// The places given back and not yet written, for a script to carry. Give them back with
    /// [`unwrite`](RedisLimiter::unwrite) if it fails.
    pub fn take_unwritten(&self) -> Vec<String> {
        let unwritten = std::mem::take(&mut self.state().unwritten);
        unwritten.into_iter().map(|n| self.member(n)).collect()
    }

    /// A script that carried `members` failed: they are written later.
    pub fn unwrite(&self, members: Vec<String>) {
        let mut state = self.state();
        state
            .unwritten
            .extend(members.iter().filter_map(|m| self.number(m)));
    }

    fn number(&self, member: &str) -> Option<u64> {
        member
            .strip_prefix(&self.token)?
            .strip_prefix(':')?
            .parse()
            .ok()
    }

    /// What a script answered for the place `args` named: if taken, it is the next request's.
    pub fn placed(&self, args: &PlaceArgs, placed: Placed) {
        let now = Instant::now();
        let mut state = self.state();
        self.seen(&mut state, placed, now);
        if placed.taken()
            && let Some((stale, _)) = state.ahead.replace((args.n, now))
            && self.limit.is_some()
        {
            // Never used, it was never sent: given back all the same, since it counts.
            state.unwritten.push(stale);
        }
    }

    /// A place taken ahead that no request will use (the lease holder stops): given back.
    pub fn forget_ahead(&self) {
        let ahead = self.state().ahead.take();
        if let Some((n, _)) = ahead {
            self.give_back(n);
        }
    }

    /// Notes what a script saw of the limit and the throttle. A hold seen never shortens one
    /// known here already (this process's own, perhaps not yet written); a script that asked
    /// for no place saw nothing.
    fn seen(&self, state: &mut State, placed: Placed, now: Instant) {
        match placed {
            Placed::Held { wait_ms } => {
                let until = now + Duration::from_millis(wait_ms);
                if state.held_until.is_none_or(|held| held < until) {
                    state.held_until = Some(until);
                }
            }
            Placed::Counted { used, .. } => {
                if let Some(limit) = self.limit {
                    state.available = Some(u64::from(limit.max).saturating_sub(used));
                }
            }
            Placed::NotAsked | Placed::LeaseLost => {}
        }
    }

    /// Waits for a free place, first come first served in this process, and takes it.
    async fn take_place(&self) -> Result<Slot, Error> {
        let _turn = self.turn.lock().await;
        {
            let mut state = self.state();
            match state.ahead.take() {
                Some((n, at)) if at.elapsed() < AHEAD_FRESH => return Ok(Slot::new(n)),
                Some((n, _)) if self.limit.is_some() => state.unwritten.push(n),
                _ => {}
            }
        }
        loop {
            let held = self.state().held_until.filter(|&u| u > Instant::now());
            if let Some(until) = held {
                tokio::time::sleep_until(until).await;
            }
            let args = self.place_args();
            let releases = self.take_unwritten();
            let mut script_args = vec![
                args.max.clone(),
                args.per.clone(),
                args.lease.clone(),
                args.idle.clone(),
                args.id.clone(),
                self.lease_token.clone(),
            ];
            script_args.extend(releases.iter().cloned());
            let keys = vec![
                self.keys.places.clone(),
                self.keys.hold.clone(),
                self.keys.lease.clone(),
            ];
            // Given back if this wait is dropped (its step interrupted) or no answer comes:
            // the script runs all the same, and may have taken it.
            let mut asking = Asking {
                limiter: self,
                n: Some(args.n),
            };
            let answer = match self
                .store
                .script(
                    "take a place in the rate limit",
                    &LIMIT_SCRIPT,
                    keys,
                    script_args,
                )
                .await
            {
                Ok(answer) => answer,
                Err(e) => {
                    self.unwrite(releases);
                    return Err(e);
                }
            };
            let placed = Placed::read(&answer).ok_or_else(|| {
                Error::store_unavailable("take a place", Unexpected("from the limit script"))
            })?;
            asking.n = None;
            self.seen(&mut self.state(), placed, Instant::now());
            let wait_ms = match placed {
                Placed::Counted { taken: true, .. } => return Ok(Slot::new(args.n)),
                Placed::Counted { wait_ms, .. } | Placed::Held { wait_ms } => wait_ms,
                Placed::LeaseLost => {
                    return Err(Error::store_unavailable(
                        "take a place in the rate limit",
                        LeaseLost,
                    ));
                }
                Placed::NotAsked => {
                    return Err(Error::store_unavailable(
                        "take a place",
                        Unexpected("from the limit script"),
                    ));
                }
            };
            tokio::time::sleep(Duration::from_millis(wait_ms.max(1))).await;
        }
    }

    /// Writes the places given back and not yet written now, and waits for it: for a worker
    /// that stops, whose process may end before the write in the background lands (its
    /// places would then count until their leases end).
    pub async fn write_given_back(&self) {
        let members = self.take_unwritten();
        if members.is_empty() || self.limit.is_none() {
            return;
        }
        let per = millis(self.limit.map_or(Duration::ZERO, |l| l.per));
        let mut args = vec![String::new(), per];
        args.extend(std::iter::repeat_n(String::new(), 4));
        args.extend(members);
        let keys = vec![
            self.keys.places.clone(),
            self.keys.hold.clone(),
            self.keys.lease.clone(),
        ];
        // Lost, the places come back by themselves when their leases end.
        let _ = self
            .store
            .script(
                "give back places in the rate limit",
                &LIMIT_SCRIPT,
                keys,
                args,
            )
            .await;
    }

    /// The place `n` comes back `per` from now: written with the next script, or alone soon.
    fn give_back(&self, n: u64) {
        if self.limit.is_none() {
            // No place was taken: only throttles count.
            return;
        }
        let mut state = self.state();
        state.unwritten.push(n);
        if state.writing {
            return;
        }
        state.writing = true;
        drop(state);
        let state = Arc::clone(&self.state);
        let store = Arc::clone(&self.store);
        let (token, per, keys) = (
            self.token.clone(),
            millis(self.limit.map_or(Duration::ZERO, |l| l.per)),
            vec![
                self.keys.places.clone(),
                self.keys.hold.clone(),
                self.keys.lease.clone(),
            ],
        );
        self.store.spawn(async move {
            tokio::time::sleep(RELEASE_DELAY).await;
            let unwritten = {
                let mut state = lock(&state);
                state.writing = false;
                std::mem::take(&mut state.unwritten)
            };
            if unwritten.is_empty() {
                return;
            }
            let mut args = vec![String::new(), per];
            args.extend(std::iter::repeat_n(String::new(), 4));
            args.extend(unwritten.into_iter().map(|n| format!("{token}:{n}")));
            // Lost, the places come back by themselves when their leases end.
            store.spawn_script(
                "give back places in the rate limit",
                &LIMIT_SCRIPT,
                keys,
                args,
            );
        });
    }
}

/// A place asked for and not yet answered: given back if no answer is read.
struct Asking<'a> {
    limiter: &'a RedisLimiter,
    n: Option<u64>,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.n.take() {
            // Written after the script that may have taken it, on the same connection: a
            // place not taken stays untaken.
            self.limiter.give_back(n);
        }
    }
}

/// Why no place was taken: the robot's lease is another process's (this one stalled, and
/// the fleet took the robot over).
#[derive(Debug)]
pub(crate) struct LeaseLost;

impl fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this process no longer holds the robot's lease: another delivers its queue")
    }
}

impl std::error::Error for LeaseLost {}

impl LeaseLost {
    /// Whether `error` is a place refused for a lost lease.
    pub fn is_cause_of(error: &Error) -> bool {
        let mut cause = std::error::Error::source(error);
        while let Some(e) = cause {
            if e.is::<LeaseLost>() {
                return true;
            }
            cause = e.source();
        }
        false
    }
}

impl Limiter for RedisLimiter {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(self.take_place())
    }

    fn release(&self, slot: Slot) {
        self.give_back(slot.id());
    }

    fn hold(&self, penalty: Duration) {
        let now = Instant::now();
        let penalty = penalty.min(FOREVER);
        {
            let mut state = self.state();
            let until = now + penalty;
            if state.held_until.is_none_or(|h| h < until) {
                state.held_until = Some(until);
            }
        }
        self.store.spawn_script(
            "hold the robot for a throttle",
            &HOLD_SCRIPT,
            vec![self.keys.hold.clone()],
            vec![millis(penalty)],
        );
    }

    fn available(&self) -> usize {
        let state = self.state();
        if state.held_until.is_some_and(|u| u > Instant::now()) {
            return 0;
        }
        match (self.limit, state.available) {
            (None, _) => usize::MAX,
            (Some(limit), None) => limit.max as usize,
            (Some(_), Some(free)) => usize::try_from(free).unwrap_or(usize::MAX),
        }
    }

    fn held_for(&self) -> Duration {
        self.state().held_until.map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        })
    }
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("store", &self.store)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RedisLimiter {
        // Never connected: the writes in the background fail, and are only logged.
        let store = Store::get("redis://127.0.0.1:1").unwrap();
        RedisLimiter::new(
            store,
            Keys::new("127.0.0.1:1 test"),
            "token".to_owned(),
            Some(Limit {
                max: 5,
                per: Duration::from_secs(1),
            }),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn a_script_that_asked_for_no_place_does_not_end_a_hold() {
        let limiter = limiter();
        limiter.hold(Duration::from_secs(60));
        let args = limiter.place_args();
        limiter.placed(&args, Placed::NotAsked);
        assert!(
            limiter.held_for() > Duration::from_secs(59),
            "{:?}",
            limiter.held_for()
        );
        // Nor does a shorter hold seen in Redis (this one's not written yet, say).
        limiter.placed(&args, Placed::Held { wait_ms: 10 });
        assert!(limiter.held_for() > Duration::from_secs(59));
        assert_eq!(limiter.available(), 0);
        // A longer one is kept.
        limiter.placed(&args, Placed::Held { wait_ms: 120_000 });
        assert!(limiter.held_for() > Duration::from_secs(119));
    }

    #[test]
    fn a_place_refused_for_a_lost_lease_says_so() {
        let e = Error::store_unavailable("take a place in the rate limit", LeaseLost);
        assert!(LeaseLost::is_cause_of(&e));
        assert!(e.to_string().contains("could not take a place"), "{e}");
        let other = Error::store_unavailable("take a place", Unexpected("x"));
        assert!(!LeaseLost::is_cause_of(&other));
    }
}
