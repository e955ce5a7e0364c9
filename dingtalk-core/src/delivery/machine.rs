//! [`MachineLimiter`]: a destination's rate limit and throttle shared by every process of the
//! user on this machine, through a small file per destination under a state directory.
//!
//! A shell loop that runs `dingtalk send` 25 times starts 25 processes: a limit kept in each
//! process lets every one of them send at once, and DingTalk throttles the robot after the
//! 20th. Here each robot has one file, `<state dir>/limits/<sha-256 of its limit key>.json`
//! (the key holds the access_token: only its hash is written), holding the places taken in
//! the limit, each as `{id, returns_at_ms}`, the throttle's end, `held_until_ms`, and how long
//! that hold was set for, `hold_ms` (the penalty):
//!
//! ```json
//! {"held_until_ms":0,"hold_ms":0,"places":[{"id":8312,"returns_at_ms":1767225600000}]}
//! ```
//!
//! Every change is one read-modify-write of that file under an exclusive `flock` (`fs4`),
//! held for the few microseconds it takes and written in place, so concurrent writers never
//! lose each other's entries, and the kernel drops the lock of a process that is killed: none
//! can wedge the others. (One stopped while it holds the lock is waited for a few seconds;
//! then each process keeps the limit on its own, and tries the file again every
//! [`RETRY_SHARING`]. The changes it could not write meanwhile wait for the lock on one thread
//! of its own, coalesced.)
//!
//! Processes share no monotonic clock, so times are wall-clock milliseconds. A place taken
//! counts until `timeout + per` from then (the longest a request may take, then the window),
//! so the place of a process that dies before its answer comes back by itself; its answer
//! rewrites it to `per` from the answer. Entries are dropped once they have come back.
//!
//! So that no clock wedges the limit, nothing in the file counts for longer from now than it
//! could have when it was written: a place no longer than its lease, a hold no longer than its
//! own `hold_ms` (at most [`LONGEST_HOLD`]; at most [`UNKNOWN_HOLD`] for a file an older
//! version wrote without it). A clock set back during a hold, or a value from a clock that ran
//! ahead, holds for one penalty at most.
//!
//! Waiting never blocks the runtime: the lock is only ever tried (and retried for a couple of
//! milliseconds on the spot, since it is held for microseconds), the file is a few hundred
//! bytes read and written in place, and a full limit is waited out with tokio's sleep, the
//! lock not held. Because taking a place is one synchronous step, an `acquire` dropped while
//! it waits never leaves a place behind, and one bounded by a zero deadline finds a free place
//! at its first poll. Within the process, waiters are served first come, first served;
//! between processes, whoever looks first when a place comes back takes it.
//!
//! A file that is not our JSON is replaced with a fresh state, with a warning. A file that
//! cannot be used at all (no permission, a directory in its way, a full disk) makes this
//! limiter warn and keep the limit in this process, as [`LocalLimiter`] does, until the file
//! can be used again (tried every [`RETRY_SHARING`]; a log line says when sharing resumes).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::delivery::limiter::{BoxFuture, Limit, Limiter, LocalLimiter, Slot};
use crate::error::Error;

/// The environment variable that names the state directory.
pub(crate) const STATE_DIR_VAR: &str = "DINGTALK_STATE_DIR";

/// How long the file lock is retried on the spot before the caller backs off: the lock is held
/// for microseconds, so this almost always finds it free, and a zero-deadline `acquire` still
/// sees the state at its first poll.
const SPIN: Duration = Duration::from_millis(2);
const SPIN_STEP: Duration = Duration::from_micros(100);

/// How long the lock may stay taken before this process stops waiting for it and keeps the
/// limit on its own: a killed process's lock goes with it, but a stopped one (`SIGSTOP`, a
/// debugger) keeps it.
const LOCK_PATIENCE: Duration = if cfg!(test) {
    Duration::from_millis(300)
} else {
    Duration::from_secs(5)
};

/// How long a process that keeps the limit on its own (the file could not be used) does so
/// before it tries the file again.
const RETRY_SHARING: Duration = if cfg!(test) {
    Duration::from_millis(600)
} else {
    Duration::from_secs(30)
};

/// The longest a hold in the file may last from now, whatever length it says it was set for:
/// a day, far over DingTalk's ten minutes and any sensible penalty.
const LONGEST_HOLD: Duration = Duration::from_secs(24 * 3600);

/// The longest a hold whose length the file does not tell (written by an older version) may
/// last from now: an hour, six times DingTalk's penalty.
const UNKNOWN_HOLD: Duration = Duration::from_secs(3600);

/// The longest a waiter sleeps between two looks at the file. Places come back at times the
/// file tells, so a waiter wakes when the next can; this bounds the cost of what it cannot
/// foresee (another process with a shorter window, a clock set back, a replaced file).
const MAX_NAP: Duration = Duration::from_secs(1);

/// The state directory: `DINGTALK_STATE_DIR` if set, else the platform's state directory
/// (`$XDG_STATE_HOME`, `~/.local/state` on Linux), else its local data directory, with
/// `dingtalk` under it.
pub(crate) fn default_state_dir() -> Option<PathBuf> {
    std::env::var_os(STATE_DIR_VAR)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            dirs::state_dir()
                .or_else(dirs::data_local_dir)
                .map(|dir| dir.join("dingtalk"))
        })
}

/// The file that keeps the limit of the destination `key` under `state_dir`. Its name is the
/// key's SHA-256, since the key holds the access_token.
pub(crate) fn state_file(state_dir: &Path, key: &str) -> PathBuf {
    let digest = Sha256::digest(key.as_bytes());
    let mut name = String::with_capacity(digest.len() * 2 + 5);
    for byte in digest.iter() {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(".json");
    state_dir.join("limits").join(name)
}

/// The file's content.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Shared {
    /// Until when DingTalk throttles the destination (0: no throttle).
    #[serde(default)]
    held_until_ms: u64,
    /// How long that hold was set for: the penalty (0: no throttle, or not told).
    #[serde(default)]
    hold_ms: u64,
    /// The places taken and not yet back.
    #[serde(default)]
    places: Vec<Place>,
}

/// A throttle's hold: until when, and how long it was set for (0: not told).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Hold {
    until_ms: u64,
    length_ms: u64,
}

impl Hold {
    /// A hold of `length` from `now`.
    fn new(now: u64, length: Duration) -> Hold {
        let length_ms = millis(length);
        Hold {
            until_ms: now.saturating_add(length_ms),
            length_ms,
        }
    }

    /// Its end, brought within its length from `now`: a hold was set at the latest now, so
    /// it cannot end later than its length from now but for a clock set back since (or a
    /// value from a clock that ran ahead). A length it does not tell counts as
    /// [`UNKNOWN_HOLD`], and none counts as more than [`LONGEST_HOLD`].
    fn until(self, now: u64) -> u64 {
        let longest = match self.length_ms {
            0 => millis(UNKNOWN_HOLD),
            length => length.min(millis(LONGEST_HOLD)),
        };
        self.until_ms.min(now.saturating_add(longest))
    }

    /// The later-ending of itself and `other`, as each ends from `now`.
    fn merge(&mut self, other: Hold, now: u64) {
        if other.until(now) > self.until(now) {
            *self = other;
        }
    }

    /// Itself brought within its length from `now`, or none if it is over.
    fn settled(self, now: u64) -> Hold {
        let until_ms = self.until(now);
        if until_ms <= now {
            Hold::default()
        } else {
            Hold {
                until_ms,
                length_ms: self.length_ms,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Place {
    id: u64,
    returns_at_ms: u64,
}

impl Shared {
    /// Forgets what is over by `now`. A return further ahead than one `lease` (the longest any
    /// place of ours counts) can only come from a clock set back since it was written: it is
    /// brought within a lease, so that no clock change wedges the limit for longer; a hold
    /// likewise within its length ([`Hold::until`]).
    fn settle(&mut self, now: u64, lease: u64) {
        let latest = now.saturating_add(lease);
        self.places.retain_mut(|place| {
            place.returns_at_ms = place.returns_at_ms.min(latest);
            place.returns_at_ms > now
        });
        self.set_hold(self.hold().settled(now));
    }

    fn hold(&self) -> Hold {
        Hold {
            until_ms: self.held_until_ms,
            length_ms: self.hold_ms,
        }
    }

    fn set_hold(&mut self, hold: Hold) {
        self.held_until_ms = hold.until_ms;
        self.hold_ms = hold.length_ms;
    }
}

/// A change that [`MachineLimiter::release`] and [`MachineLimiter::hold`] make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// The place `id` comes back at `returns_at_ms`.
    Release { id: u64, returns_at_ms: u64 },
    /// Nothing is sent before the hold ends.
    Hold(Hold),
}

impl Change {
    fn apply(self, shared: &mut Shared, now: u64) {
        match self {
            Change::Release { id, returns_at_ms } => {
                match shared.places.iter_mut().find(|p| p.id == id) {
                    Some(place) => place.returns_at_ms = returns_at_ms,
                    // Its lease ran out before its answer came: it counts from now all the same.
                    None => shared.places.push(Place { id, returns_at_ms }),
                }
            }
            Change::Hold(hold) => {
                let mut held = shared.hold();
                held.merge(hold, now);
                shared.set_hold(held);
            }
        }
    }
}

/// The changes that could not be made at once (another process held the lock), waiting for
/// the one thread that writes them.
#[derive(Debug, Default)]
struct Backlog {
    /// Coalesced: one release per place (the latest), one hold (the later-ending).
    changes: Vec<Change>,
    /// Whether a thread is writing them.
    writing: bool,
    /// Threads started so far.
    writers: usize,
}

impl Backlog {
    fn add(&mut self, change: Change) {
        for queued in &mut self.changes {
            match (queued, change) {
                (
                    Change::Release { id, returns_at_ms },
                    Change::Release {
                        id: new_id,
                        returns_at_ms: new_return,
                    },
                ) if *id == new_id => {
                    *returns_at_ms = new_return;
                    return;
                }
                (Change::Hold(hold), Change::Hold(new_hold)) => {
                    hold.merge(new_hold, now_ms());
                    return;
                }
                _ => {}
            }
        }
        self.changes.push(change);
    }
}

/// Why the file could not be changed now.
#[derive(Debug)]
enum Trouble {
    /// Another process holds the lock.
    Busy,
    /// The file cannot be used.
    Io(io::Error),
}

impl From<io::Error> for Trouble {
    fn from(e: io::Error) -> Trouble {
        Trouble::Io(e)
    }
}

/// Whether to wait for the lock or only try it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Locking {
    Try,
    Block,
}

/// One read-modify-write of the file at `path`, under its lock: reads the state (a corrupt one
/// is replaced with a fresh one, with a warning), forgets what is over, lets `change` decide,
/// and writes the state back if it changed. Returns what `change` decided and the state.
fn update<T>(
    path: &Path,
    lease: u64,
    locking: Locking,
    change: impl FnOnce(&mut Shared, u64) -> T,
) -> Result<(T, Shared), Trouble> {
    let mut file = open(path)?;
    lock(&file, locking)?;
    // The lock goes with the file when it is closed, whatever happens below.
    let mut text = String::new();
    let read = file.read_to_string(&mut text);
    let mut shared = match read {
        // A file just made.
        Ok(_) if text.trim().is_empty() => Shared::default(),
        Ok(_) => serde_json::from_str::<Shared>(&text).unwrap_or_else(|e| {
            corrupt(path, &e);
            Shared::default()
        }),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            corrupt(path, &e);
            Shared::default()
        }
        Err(e) => return Err(e.into()),
    };
    let now = now_ms();
    shared.settle(now, lease);
    let decided = change(&mut shared, now);
    let after = serde_json::to_string(&shared).map_err(io::Error::other)?;
    // Written only when it changed: what this library wrote reads back as the same text.
    if after != text {
        // In place, under the lock: a reader never sees half of it. A process killed midway
        // leaves a short file, read as corrupt and replaced: at worst one window's places
        // are forgotten, never the lock.
        file.seek(SeekFrom::Start(0))?;
        file.set_len(0)?;
        file.write_all(after.as_bytes())?;
        file.flush()?;
    }
    Ok((decided, shared))
}

fn open(path: &Path) -> io::Result<File> {
    let options = || {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        options
    };
    match options().open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            options().open(path)
        }
        opened => opened,
    }
}

fn lock(file: &File, locking: Locking) -> Result<(), Trouble> {
    // Called through fs4's trait: `File` has inherent lock methods of its own, newer than
    // this crate's minimum Rust.
    if locking == Locking::Block {
        return fs4::FileExt::lock(file).map_err(Trouble::Io);
    }
    let mut spun = Duration::ZERO;
    loop {
        match fs4::FileExt::try_lock(file) {
            Ok(()) => return Ok(()),
            Err(fs4::TryLockError::WouldBlock) if spun < SPIN => {
                std::thread::sleep(SPIN_STEP);
                spun += SPIN_STEP;
            }
            Err(fs4::TryLockError::WouldBlock) => return Err(Trouble::Busy),
            Err(fs4::TryLockError::Error(e)) => return Err(Trouble::Io(e)),
        }
    }
}

fn corrupt(path: &Path, error: &dyn fmt::Display) {
    tracing::warn!(
        path = %path.display(),
        error = %error,
        "the shared rate-limit state is not what this library writes: replaced with a fresh one"
    );
}

/// Wall-clock milliseconds since 1970: what every process reads alike.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// The wall clock's milliseconds, rounded up: a place given back must not return a fraction of
/// a millisecond before its window ends.
fn now_ms_up() -> u64 {
    now_ms().saturating_add(1)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The limit and throttle of one destination, shared with every process on this machine that
/// uses the same state directory. See the [module](self).
pub(crate) struct MachineLimiter {
    path: PathBuf,
    /// The destination's limit key, for the in-process limiter taken if the file cannot be
    /// used. It holds the access_token: it is never shown.
    key: String,
    limit: Option<Limit>,
    /// How long a place counts until its answer: the longest a request may take, then the
    /// window (milliseconds).
    lease_ms: u64,
    /// Whether `acquire` waits for a throttle to end, or fails at once (a robot whose throttle
    /// penalty is zero: a command-line tool).
    wait_through_holds: bool,
    /// The turnstile: one waiter of this process at a time looks at the file, in the order
    /// they came.
    turn: tokio::sync::Mutex<()>,
    local: Mutex<Local>,
    /// The changes waiting for the lock.
    backlog: Arc<Mutex<Backlog>>,
}

/// What this process knows without reading the file.
#[derive(Debug, Default)]
struct Local {
    /// When each place the file held at the last look comes back.
    returns: Vec<u64>,
    /// The throttle: the file's at the last look, or this process's own if it ends later.
    hold: Hold,
    /// Made the first time the file cannot be used: the limit is kept here while it cannot
    /// (and the places it let through are given back to it).
    fallback: Option<Arc<LocalLimiter>>,
    /// While the limit is kept by `fallback`: when to try the file again.
    retry_at: Option<std::time::Instant>,
}

/// Whether the file is used, as [`MachineLimiter::sharing`] tells.
enum Sharing {
    /// The file is used.
    Shared,
    /// The file could not be used: this process keeps the limit, with this limiter.
    Alone(Arc<LocalLimiter>),
    /// As `Alone`, and it is time to try the file again.
    Retry(Arc<LocalLimiter>),
}

impl MachineLimiter {
    /// The limiter of the destination `key` (`limit_key`), sharing `limit` and its throttle
    /// through `state_dir`. `timeout` is the longest one request may take. Nothing is read or
    /// created until the first request.
    pub fn new(
        state_dir: &Path,
        key: &str,
        limit: Option<Limit>,
        timeout: Duration,
        wait_through_holds: bool,
    ) -> MachineLimiter {
        let per = limit.map_or(Duration::ZERO, |l| l.per);
        MachineLimiter {
            path: state_file(state_dir, key),
            key: key.to_owned(),
            limit,
            lease_ms: millis(timeout.saturating_add(per)),
            wait_through_holds,
            turn: tokio::sync::Mutex::new(()),
            local: Mutex::new(Local::default()),
            backlog: Arc::default(),
        }
    }

    fn local(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The limiter that keeps the limit while the file cannot be used, if it cannot now.
    fn fallback(&self) -> Option<Arc<LocalLimiter>> {
        match self.sharing() {
            Sharing::Shared => None,
            Sharing::Alone(fallback) | Sharing::Retry(fallback) => Some(fallback),
        }
    }

    fn sharing(&self) -> Sharing {
        let local = self.local();
        match (&local.fallback, local.retry_at) {
            (Some(fallback), Some(at)) if std::time::Instant::now() < at => {
                Sharing::Alone(Arc::clone(fallback))
            }
            (Some(fallback), Some(_)) => Sharing::Retry(Arc::clone(fallback)),
            _ => Sharing::Shared,
        }
    }

    /// The file cannot be used: say so (once until it can again), and keep the limit in this
    /// process for [`RETRY_SHARING`].
    fn fall_back(&self, error: &io::Error) -> Arc<LocalLimiter> {
        let mut local = self.local();
        let retry_at = std::time::Instant::now() + RETRY_SHARING;
        if local.retry_at.replace(retry_at).is_some() {
            tracing::debug!(
                path = %self.path.display(),
                %error,
                "the shared rate-limit state still cannot be used: this process keeps the robot's limit on its own a while longer"
            );
        } else {
            tracing::warn!(
                path = %self.path.display(),
                %error,
                retry_in = ?RETRY_SHARING,
                "cannot use the shared rate-limit state: this process keeps the robot's limit on its own"
            );
        }
        let fallback = Arc::clone(
            local
                .fallback
                .get_or_insert_with(|| LocalLimiter::shared(&self.key, self.limit)),
        );
        // What this process was told of a throttle still holds.
        let held = self.held_for_at(&local, now_ms());
        if !held.is_zero() {
            fallback.hold(held);
        }
        fallback
    }

    /// The file can be used again: what `fallback` let through, and the throttle it holds,
    /// count in the file from now on (`shared` is the file's state at `now`).
    fn hand_back(&self, fallback: &LocalLimiter, shared: &mut Shared, now: u64) {
        let (in_flight, returning) = fallback.outstanding();
        let returns = std::iter::repeat_n(now.saturating_add(self.lease_ms), in_flight)
            .chain(returning.into_iter().map(|d| now.saturating_add(millis(d))));
        for returns_at_ms in returns {
            // Their slots are given back to the fallback: these places lapse by themselves.
            shared.places.push(Place {
                id: fresh_id(&shared.places),
                returns_at_ms,
            });
        }
        let held = fallback.held_for();
        if !held.is_zero() {
            Change::Hold(Hold::new(now, held)).apply(shared, now);
        }
    }

    /// One read-modify-write of the file; what this process knows is updated from it.
    fn update<T>(
        &self,
        locking: Locking,
        change: impl FnOnce(&mut Shared, u64) -> T,
    ) -> Result<T, Trouble> {
        let (decided, shared) = update(&self.path, self.lease_ms, locking, change)?;
        let now = now_ms();
        let mut local = self.local();
        local.returns = shared.places.iter().map(|p| p.returns_at_ms).collect();
        let mut hold = local.hold.settled(now);
        hold.merge(shared.hold(), now);
        local.hold = hold;
        Ok(decided)
    }

    /// How long a throttle still holds at `now`, as far as this process knows.
    fn held_for_at(&self, local: &Local, now: u64) -> Duration {
        Duration::from_millis(local.hold.until(now).saturating_sub(now))
    }

    /// Takes a place if one is free and no throttle holds; else says when to look again.
    fn try_take(&self, shared: &mut Shared, now: u64, own_hold: Hold) -> Look {
        let held_until = shared.held_until_ms.max(own_hold.until(now));
        if held_until > now {
            return Look::Held { until: held_until };
        }
        let Some(limit) = self.limit else {
            return Look::Took(0);
        };
        if shared.places.len() < limit.max as usize {
            let id = fresh_id(&shared.places);
            shared.places.push(Place {
                id,
                returns_at_ms: now.saturating_add(self.lease_ms),
            });
            return Look::Took(id);
        }
        // Full. A place comes back at its return, or, if still in flight, `per` after an
        // answer that has not come yet: not before `per` from now.
        let earliest = shared
            .places
            .iter()
            .map(|p| p.returns_at_ms)
            .min()
            .unwrap_or(now);
        Look::Full {
            until: earliest.min(now.saturating_add(millis(limit.per))),
        }
    }

    /// Waits for a throttle to end and a free place, and takes it.
    async fn take_place(&self) -> Result<Slot, Error> {
        let _turn = self.turn.lock().await;
        let mut backoff = Duration::from_millis(1);
        let mut busy_since = None;
        loop {
            let retrying = match self.sharing() {
                Sharing::Shared => None,
                Sharing::Alone(fallback) => return fallback.acquire().await,
                Sharing::Retry(fallback) => Some(fallback),
            };
            let own_hold = self.local().hold;
            let look = self.update(Locking::Try, |shared, now| {
                if let Some(fallback) = &retrying {
                    self.hand_back(fallback, shared, now);
                }
                (self.try_take(shared, now, own_hold), now)
            });
            if let Some(fallback) = retrying {
                match &look {
                    Ok(_) => {
                        self.local().retry_at = None;
                        tracing::info!(
                            path = %self.path.display(),
                            "the shared rate-limit state can be used again: this process shares the robot's limit again"
                        );
                    }
                    // Still busy, or still unusable: on its own a while longer, at once.
                    Err(Trouble::Busy) => {
                        self.fall_back(&io::Error::new(
                            io::ErrorKind::WouldBlock,
                            "another process still holds its lock",
                        ));
                        return fallback.acquire().await;
                    }
                    Err(Trouble::Io(e)) => {
                        self.fall_back(e);
                        return fallback.acquire().await;
                    }
                }
            }
            let (until, now) = match look {
                Ok((Look::Took(id), _)) => return Ok(Slot::new(id)),
                Ok((Look::Held { until }, now)) if !self.wait_through_holds => {
                    return Err(Error::held(Duration::from_millis(until - now)));
                }
                Ok((Look::Held { until } | Look::Full { until }, now)) => (until, now),
                Err(Trouble::Busy) => {
                    let since = *busy_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() >= LOCK_PATIENCE {
                        self.fall_back(&io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!(
                                "another process has held its lock for {LOCK_PATIENCE:?} (stopped while holding it?)"
                            ),
                        ));
                        continue;
                    }
                    // Another process is in the middle of a change: look again soon.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(20));
                    continue;
                }
                Err(Trouble::Io(e)) => {
                    self.fall_back(&e);
                    continue;
                }
            };
            backoff = Duration::from_millis(1);
            busy_since = None;
            let nap = Duration::from_millis(until.saturating_sub(now).max(1)).min(MAX_NAP);
            tokio::time::sleep(nap).await;
        }
    }

    /// Makes `change` to the file now, or, if another process holds the lock longer than a
    /// moment, on a thread of its own: never waits. One such thread at a time writes every
    /// change made meanwhile, coalesced.
    fn change(&self, change: Change) {
        match self.update(Locking::Try, |shared, now| change.apply(shared, now)) {
            Ok(()) => {}
            Err(Trouble::Busy) => self.change_later(change),
            // The in-process limiter takes over, with this process's hold.
            Err(Trouble::Io(e)) => drop(self.fall_back(&e)),
        }
    }

    /// The lock is held (a process stopped while holding it, say): `change` waits for it on
    /// the writing thread, started unless one is running. Should this process end first, a
    /// place still comes back at its lease's end, and a hold still holds here.
    fn change_later(&self, change: Change) {
        let mut backlog = lock_backlog(&self.backlog);
        backlog.add(change);
        if backlog.writing {
            return;
        }
        backlog.writing = true;
        backlog.writers += 1;
        drop(backlog);
        let (path, lease, queued) = (self.path.clone(), self.lease_ms, Arc::clone(&self.backlog));
        let spawned = std::thread::Builder::new()
            .name("dingtalk-limit".into())
            .spawn(move || {
                loop {
                    let changes = {
                        let mut backlog = lock_backlog(&queued);
                        if backlog.changes.is_empty() {
                            backlog.writing = false;
                            return;
                        }
                        std::mem::take(&mut backlog.changes)
                    };
                    let written = update(&path, lease, Locking::Block, |shared, now| {
                        for change in changes {
                            change.apply(shared, now);
                        }
                    });
                    if let Err(Trouble::Io(error)) = written {
                        tracing::warn!(path = %path.display(), %error, "the shared rate-limit state could not be written");
                    }
                }
            });
        if let Err(error) = spawned {
            // Tried again with the next change.
            lock_backlog(&self.backlog).writing = false;
            tracing::warn!(%error, "the shared rate-limit state could not be written");
        }
    }
}

fn lock_backlog(backlog: &Mutex<Backlog>) -> MutexGuard<'_, Backlog> {
    backlog.lock().unwrap_or_else(|e| e.into_inner())
}

/// An id no place in `places` has. (0 is the place of a limiter that only counts, and of the
/// in-process limiter that keeps the limit while the file cannot be used.)
fn fresh_id(places: &[Place]) -> u64 {
    loop {
        let id = fastrand::u64(1..);
        if places.iter().all(|p| p.id != id) {
            return id;
        }
    }
}

/// What one look at the file found.
enum Look {
    /// A place was taken, with this id.
    Took(u64),
    /// A throttle holds until then.
    Held { until: u64 },
    /// Every place is taken; the next may come back then.
    Full { until: u64 },
}

impl Limiter for MachineLimiter {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(self.take_place())
    }

    fn release(&self, slot: Slot) {
        // A place the in-process limiter let through (while the file could not be used) is
        // given back to it, even once the file is used again.
        if slot.id() == 0 {
            let fallback = self.local().fallback.clone();
            if let Some(fallback) = fallback {
                fallback.release(slot);
            }
            return;
        }
        let (id, Some(limit)) = (slot.id(), self.limit) else {
            return;
        };
        let returns_at_ms = now_ms_up().saturating_add(millis(limit.per));
        self.change(Change::Release { id, returns_at_ms });
    }

    fn hold(&self, penalty: Duration) {
        let hold = Hold::new(now_ms_up(), penalty);
        // This process's senders hold now, whatever becomes of the write.
        {
            let mut local = self.local();
            let now = now_ms();
            local.hold.merge(hold, now);
        }
        if let Some(fallback) = self.fallback() {
            return fallback.hold(penalty);
        }
        self.change(Change::Hold(hold));
    }

    fn available(&self) -> usize {
        if let Some(fallback) = self.fallback() {
            return fallback.available();
        }
        let now = now_ms();
        let local = self.local();
        if local.hold.until(now) > now {
            return 0;
        }
        match self.limit {
            None => usize::MAX,
            Some(limit) => {
                let taken = local.returns.iter().filter(|&&t| t > now).count();
                (limit.max as usize).saturating_sub(taken)
            }
        }
    }

    fn held_for(&self) -> Duration {
        if let Some(fallback) = self.fallback() {
            return fallback.held_for();
        }
        self.held_for_at(&self.local(), now_ms())
    }

    /// As last seen: a place another process gave back since is not known of.
    fn free_in(&self) -> Option<Duration> {
        if let Some(fallback) = self.fallback() {
            return fallback.free_in();
        }
        let now = now_ms();
        let local = self.local();
        let held = self.held_for_at(&local, now);
        if !held.is_zero() {
            return Some(held);
        }
        let Some(limit) = self.limit else {
            return Some(Duration::ZERO);
        };
        let mut taken: Vec<u64> = local.returns.iter().copied().filter(|&t| t > now).collect();
        if taken.len() < limit.max as usize {
            return Some(Duration::ZERO);
        }
        // The place that comes back first, of those enough to free one.
        taken.sort_unstable();
        let back = taken[taken.len() - limit.max as usize];
        Some(Duration::from_millis(back - now))
    }
}

impl fmt::Debug for MachineLimiter {
    /// The path holds a hash, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineLimiter")
            .field("path", &self.path)
            .field("limit", &self.limit)
            .field("lease_ms", &self.lease_ms)
            .field("wait_through_holds", &self.wait_through_holds)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::delivery::bounded::Bounded;
    use crate::error::ErrorKind;

    /// A state directory of its own per test, never the user's.
    fn state_dir(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dingtalk-machine-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A destination's key per test: a limiter that falls back shares the process's
    /// registry, which other tests must not see.
    fn key(test: &str) -> String {
        format!("127.0.0.1:1 t0ken-{test}")
    }

    const TIMEOUT: Duration = Duration::from_millis(200);

    fn limiter(dir: &Path, test: &str, max: u32, per_ms: u64) -> MachineLimiter {
        let limit = Limit {
            max,
            per: Duration::from_millis(per_ms),
        };
        MachineLimiter::new(dir, &key(test), Some(limit), TIMEOUT, true)
    }

    /// Time measured by the wall clock's milliseconds may come up to a millisecond short.
    fn at_least(elapsed: Duration, ms: u64) {
        assert!(
            elapsed + Duration::from_millis(2) >= Duration::from_millis(ms),
            "{elapsed:?} < {ms} ms"
        );
    }

    fn file_state(dir: &Path, test: &str) -> Shared {
        let text = std::fs::read_to_string(state_file(dir, &key(test))).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[tokio::test]
    async fn limiters_on_one_directory_share_one_limit_as_processes_would() {
        let dir = state_dir("share");
        // Two limiters of one robot: to each other, two processes.
        let a = limiter(&dir, "share", 2, 300);
        let b = limiter(&dir, "share", 2, 300);
        let first = a.acquire().await.unwrap();
        let second = a.acquire().await.unwrap();
        assert_eq!(file_state(&dir, "share").places.len(), 2);
        let answered = Instant::now();
        a.release(first);
        a.release(second);
        assert_eq!(a.available(), 0);
        let _third = b.acquire().await.unwrap();
        at_least(answered.elapsed(), 300);
        // a's second place comes back a moment after its first, which b may have taken.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(b.available(), 1, "b has seen the file");
        // Another robot has a limit of its own.
        let other = limiter(&dir, "share-other", 2, 300);
        let start = Instant::now();
        let _a = other.acquire().await.unwrap();
        let _b = other.acquire().await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_place_never_given_back_comes_back_after_the_timeout_and_the_window() {
        let dir = state_dir("lost");
        let a = limiter(&dir, "lost", 1, 300);
        let taken = Instant::now();
        // The process that took it was killed before its answer.
        let Slot { .. } = a.acquire().await.unwrap();
        let b = limiter(&dir, "lost", 1, 300);
        let _place = b.acquire().await.unwrap();
        at_least(taken.elapsed(), 200 + 300);
    }

    #[tokio::test]
    async fn a_throttle_holds_every_process_and_one_that_does_not_wait_fails_at_once() {
        let dir = state_dir("hold");
        let a = limiter(&dir, "hold", 5, 100);
        a.hold(Duration::from_millis(400));
        assert!(a.is_held());
        assert_eq!(a.available(), 0);
        let held = Instant::now();
        let impatient = MachineLimiter::new(&dir, &key("hold"), None, TIMEOUT, false);
        let e = impatient.acquire().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(
            e.to_string().contains("DingTalk throttles this robot"),
            "{e}"
        );
        assert!(impatient.is_held(), "what it saw is kept");
        let b = limiter(&dir, "hold", 5, 100);
        let _place = b.acquire().await.unwrap();
        at_least(held.elapsed(), 390);
        assert!(!b.is_held());
    }

    #[tokio::test]
    async fn a_corrupt_file_is_replaced_with_a_fresh_state() {
        let dir = state_dir("corrupt");
        let path = state_file(&dir, &key("corrupt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        for garbage in [
            &b"{\"places\": [{\"id\": "[..],
            b"\xff\xfe not text",
            b"[1, 2, 3]",
        ] {
            std::fs::write(&path, garbage).unwrap();
            let a = limiter(&dir, "corrupt", 2, 100);
            let slot = a.acquire().await.unwrap();
            a.release(slot);
            let state = file_state(&dir, "corrupt");
            assert_eq!(state.places.len(), 1);
        }
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_used_leaves_the_limit_to_the_process() {
        // A directory where the file should be (the tests run as root, whom permissions
        // do not stop).
        let dir = state_dir("unusable");
        std::fs::create_dir_all(state_file(&dir, &key("unusable"))).unwrap();
        let a = limiter(&dir, "unusable", 1, 300);
        let slot = a.acquire().await.unwrap();
        let answered = Instant::now();
        a.release(slot);
        assert_eq!(a.available(), 0);
        let _again = a.acquire().await.unwrap();
        assert!(answered.elapsed() >= Duration::from_millis(300));
        // A file where the state directory should be.
        let file = state_dir("unusable-dir").join("not-a-directory");
        std::fs::write(&file, "").unwrap();
        let b = limiter(&file, "unusable-dir", 1, 300);
        b.hold(Duration::from_millis(200));
        assert!(b.is_held(), "the hold is kept in the process");
        let held = Instant::now();
        let _place = b.acquire().await.unwrap();
        at_least(held.elapsed(), 190);
    }

    #[tokio::test]
    async fn a_lock_held_too_long_leaves_the_limit_to_the_process() {
        let dir = state_dir("stuck");
        let path = state_file(&dir, &key("stuck"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A process stopped while it held the lock.
        let stuck = File::create(&path).unwrap();
        fs4::FileExt::lock(&stuck).unwrap();
        let a = limiter(&dir, "stuck", 1, 300);
        let start = Instant::now();
        let slot = a.acquire().await.unwrap();
        at_least(start.elapsed(), 300);
        // The process keeps the limit from now on.
        a.release(slot);
        assert_eq!(a.available(), 0);
        let again = Instant::now();
        let _slot = a.acquire().await.unwrap();
        at_least(again.elapsed(), 290);
        drop(stuck);
    }

    #[test]
    fn a_hold_never_lasts_longer_from_now_than_it_was_set_for() {
        let now = 1_767_225_600_000;
        let day = millis(Duration::from_secs(24 * 3600));
        let settled = |held_until_ms: u64, hold_ms: u64| {
            let mut shared = Shared {
                held_until_ms,
                hold_ms,
                places: Vec::new(),
            };
            shared.settle(now, 1_000);
            (shared.held_until_ms, shared.hold_ms)
        };
        // Written at `now` for 10 minutes: kept.
        assert_eq!(settled(now + 600_000, 600_000), (now + 600_000, 600_000));
        // Written for 10 minutes by a clock a day ahead, or set back since: 10 minutes.
        assert_eq!(settled(now + day, 600_000), (now + 600_000, 600_000));
        // Of a length the file does not tell (an older version's): an hour at most.
        assert_eq!(settled(now + 10 * day, 0).0, now + 3_600_000);
        // A length past reason: a day at most.
        assert_eq!(settled(u64::MAX, u64::MAX).0, now + day);
        // Over: forgotten.
        assert_eq!(settled(now - 1, 600_000), (0, 0));
        // Of two holds, the one that ends later, each within its length, wins.
        let mut hold = Hold::new(now, Duration::from_secs(600));
        hold.merge(
            Hold {
                until_ms: now + day,
                length_ms: 60_000,
            },
            now,
        );
        assert_eq!(hold, Hold::new(now, Duration::from_secs(600)));
    }

    #[tokio::test]
    async fn a_hold_from_a_clock_set_back_holds_for_its_penalty_not_until_then() {
        let dir = state_dir("hold-ahead");
        let path = state_file(&dir, &key("hold-ahead"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A 300 ms hold written by a clock a day ahead (or the clock was set back a day
        // since): it holds for 300 ms from now, not for a day.
        let day = millis(Duration::from_secs(24 * 3600));
        std::fs::write(
            &path,
            format!(
                r#"{{"held_until_ms":{},"hold_ms":300,"places":[]}}"#,
                now_ms() + day
            ),
        )
        .unwrap();
        let a = limiter(&dir, "hold-ahead", 5, 100);
        let start = Instant::now();
        let _place = a.acquire().await.unwrap();
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "held for {elapsed:?}: the clock's jump counted"
        );
        // A far hold in a file an older version wrote (no length): an hour at most, and the
        // file says so.
        std::fs::write(
            &path,
            format!(r#"{{"held_until_ms":{},"places":[]}}"#, now_ms() + 10 * day),
        )
        .unwrap();
        let b = MachineLimiter::new(&dir, &key("hold-ahead"), None, TIMEOUT, false);
        let e = b.acquire().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(b.held_for() <= UNKNOWN_HOLD, "{:?}", b.held_for());
        assert!(b.held_for() > UNKNOWN_HOLD - Duration::from_secs(60));
        assert!(file_state(&dir, "hold-ahead").held_until_ms <= now_ms() + millis(UNKNOWN_HOLD));
        // This process's own hold, as the clock goes back, is brought within its length too.
        let c = limiter(&dir, "hold-ahead-own", 5, 100);
        c.hold(Duration::from_millis(300));
        c.local().hold.until_ms += day;
        assert!(
            c.held_for() <= Duration::from_millis(300),
            "{:?}",
            c.held_for()
        );
        let start = Instant::now();
        let _place = c.acquire().await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn after_a_lock_held_too_long_the_file_is_shared_again_once_it_is_free() {
        let dir = state_dir("resume");
        let path = state_file(&dir, &key("resume"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A process stopped while it held the lock.
        let stuck = File::create(&path).unwrap();
        fs4::FileExt::lock(&stuck).unwrap();
        // A window longer than the wait below: what it lets through still counts after it.
        let a = limiter(&dir, "resume", 3, 2_000);
        let alone = a.acquire().await.unwrap();
        let fell_back = Instant::now();
        assert!(a.fallback().is_some());
        a.release(alone);
        // The stopped process goes on.
        drop(stuck);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "",
            "not tried before it is due"
        );
        tokio::time::sleep(RETRY_SHARING).await;
        let shared = a.acquire().await.unwrap();
        assert!(fell_back.elapsed() < RETRY_SHARING + Duration::from_millis(500));
        assert!(a.fallback().is_none(), "sharing resumed");
        // The place it took on its own still counts, in the file now, beside the new one.
        let state = file_state(&dir, "resume");
        assert_eq!(state.places.len(), 2, "{state:?}");
        assert!(state.places.iter().all(|p| p.id != 0));
        let b = limiter(&dir, "resume", 3, 2_000);
        let _third = b.acquire().await.unwrap();
        assert_eq!(b.available(), 0, "b counts a's places");
        a.release(shared);
        assert_eq!(file_state(&dir, "resume").places.len(), 3);
    }

    #[tokio::test]
    async fn changes_made_while_the_lock_is_held_wait_on_one_thread_and_all_land() {
        let dir = state_dir("backlog");
        let path = state_file(&dir, &key("backlog"));
        let a = limiter(&dir, "backlog", 5, 300);
        let mut slots = Vec::new();
        for _ in 0..5 {
            slots.push(a.acquire().await.unwrap());
        }
        let ids: Vec<u64> = slots.iter().map(Slot::id).collect();
        let stuck = File::open(&path).unwrap();
        fs4::FileExt::lock(&stuck).unwrap();
        for slot in slots {
            a.release(slot);
        }
        let held = now_ms();
        a.hold(Duration::from_millis(400));
        a.hold(Duration::from_millis(200));
        {
            let backlog = lock_backlog(&a.backlog);
            assert_eq!(backlog.writers, 1, "one thread writes them all");
            // The thread may have taken some already; the two holds are one.
            let holds = backlog
                .changes
                .iter()
                .filter(|c| matches!(c, Change::Hold(_)))
                .count();
            assert!(holds <= 1, "{:?}", backlog.changes);
            assert!(backlog.changes.len() <= 6, "{:?}", backlog.changes);
        }
        let released = now_ms();
        drop(stuck);
        let until = Instant::now() + Duration::from_secs(2);
        while lock_backlog(&a.backlog).writing {
            assert!(Instant::now() < until, "the changes were not written");
            std::thread::sleep(Duration::from_millis(5));
        }
        let state = file_state(&dir, "backlog");
        assert_eq!(state.places.len(), 5);
        for place in &state.places {
            assert!(ids.contains(&place.id));
            // Given back: a window from the answer, not a lease from the taking.
            assert!(place.returns_at_ms <= released + 300 + 5, "{state:?}");
        }
        assert!(state.held_until_ms >= held + 400, "{state:?}");
        assert_eq!(state.hold_ms, 400);
        // The next change is made at once again.
        a.hold(Duration::from_millis(1));
        assert_eq!(lock_backlog(&a.backlog).writers, 1);
    }

    #[tokio::test]
    async fn with_no_wait_a_full_limit_fails_at_once_and_a_free_place_is_taken() {
        let dir = state_dir("no-wait");
        let inner: Arc<dyn Limiter> = Arc::new(limiter(&dir, "no-wait", 1, 300));
        let limit = Limit {
            max: 1,
            per: Duration::from_millis(300),
        };
        let bounded = Bounded::new(inner, Duration::ZERO, Some(limit));
        let slot = bounded.acquire().await.unwrap();
        bounded.release(slot);
        let start = Instant::now();
        let e = bounded.acquire().await.unwrap_err();
        assert!(start.elapsed() < Duration::from_millis(100));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(
            e.to_string(),
            "the local rate limit (1 message per 300ms) is full: no place came free at once, and nothing was sent to DingTalk"
        );
        // The refusal left no place behind.
        assert_eq!(file_state(&dir, "no-wait").places.len(), 1);
    }

    #[tokio::test]
    async fn the_state_file_is_named_by_a_hash_and_holds_no_token() {
        let dir = state_dir("token");
        let a = limiter(&dir, "token", 2, 100);
        let slot = a.acquire().await.unwrap();
        a.release(slot);
        let path = state_file(&dir, &key("token"));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 64 + ".json".len());
        assert!(
            name.trim_end_matches(".json")
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("t0ken") && !format!("{a:?}").contains("t0ken"));
    }

    const CHILD_DIR: &str = "DINGTALK_TEST_MACHINE_CHILD_DIR";
    const CHILD_LOG: &str = "DINGTALK_TEST_MACHINE_CHILD_LOG";
    const CHILD_TAKES: usize = 8;
    const PROCESSES_MAX: u32 = 3;
    const PROCESSES_PER_MS: u64 = 200;

    /// The body of each child process of the test below; alone (without its environment),
    /// it does nothing.
    #[test]
    fn child_process_takes_and_gives_back_places() {
        let (Some(dir), Some(log)) = (std::env::var_os(CHILD_DIR), std::env::var_os(CHILD_LOG))
        else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = PathBuf::from(dir);
        let limiter = limiter(&dir, "processes", PROCESSES_MAX, PROCESSES_PER_MS);
        let mut lines = String::new();
        runtime.block_on(async {
            for _ in 0..CHILD_TAKES {
                let slot = limiter.acquire().await.unwrap();
                let taken = now_ms();
                // The request.
                tokio::time::sleep(Duration::from_millis(10)).await;
                let answered = now_ms();
                limiter.release(slot);
                lines.push_str(&format!("{taken} {answered}\n"));
            }
        });
        std::fs::write(log, lines).unwrap();
    }

    #[test]
    fn four_processes_never_count_more_than_the_limit_together() {
        let dir = state_dir("processes");
        let start = Instant::now();
        let children: Vec<(std::process::Child, PathBuf)> = (0..4)
            .map(|i| {
                let log = dir.join(format!("child-{i}.log"));
                let child = std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "delivery::machine::tests::child_process_takes_and_gives_back_places",
                        "--test-threads=1",
                        "--quiet",
                    ])
                    .env(CHILD_DIR, &dir)
                    .env(CHILD_LOG, &log)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                (child, log)
            })
            .collect();
        // Each place counts from its taking until a window after its answer.
        let mut places: Vec<(u64, u64)> = Vec::new();
        for (mut child, log) in children {
            assert!(child.wait().unwrap().success());
            let text = std::fs::read_to_string(log).unwrap();
            for line in text.lines() {
                let (taken, answered) = line.split_once(' ').unwrap();
                let (taken, answered): (u64, u64) =
                    (taken.parse().unwrap(), answered.parse().unwrap());
                places.push((taken, answered + PROCESSES_PER_MS));
            }
        }
        assert_eq!(places.len(), 4 * CHILD_TAKES);
        for &(at, _) in &places {
            let counted = places
                .iter()
                .filter(|&&(taken, back)| taken <= at && at < back)
                .count();
            assert!(
                counted <= PROCESSES_MAX as usize,
                "{counted} places at {at}: {places:?}"
            );
        }
        // 32 places, 3 at a time, each for over a window.
        at_least(start.elapsed(), 10 * PROCESSES_PER_MS);
    }
}
