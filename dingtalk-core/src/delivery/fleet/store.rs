//! One Redis server as a process uses it: one connection for every robot kept there, and the
//! outcomes this process's senders wait for.
//!
//! A [`Store`] is made once per Redis URL and kept for the life of the process. It runs on a
//! runtime of its own (one thread), so that its connection, the pushes that come in on it and
//! the background writes of the limiters live on whichever runtime, or none, the robots are
//! used from: a write started in a `Drop` while the caller's runtime shuts down still lands.
//!
//! The connection speaks RESP3, so that commands and pub/sub share it: the client reconnects
//! on its own and subscribes again to what it was subscribed to. Each process listens on a
//! reply channel of its own, named in every message it queues; the process that delivers a
//! message publishes its outcome there and keeps it under a key for a while. After a lost
//! connection, when outcomes may have been published unheard, the store looks up the kept
//! outcome of every message still waited for, and subscribes again itself (the client's own
//! resubscription may fail unheard). A publication can be missed in other ways too (a
//! resubscription that failed, keys deleted or evicted behind the robot's back): so every
//! [`RECHECK_AFTER`] the store also looks up the messages waited for that long, one script
//! per robot for all of them. One that is neither queued, nor in flight, nor has an outcome
//! kept is gone from Redis: its sender gets a
//! [`StoreUnavailable`](crate::ErrorKind::StoreUnavailable) error that says so, rather than
//! wait for ever.
//!
//! A robot's wake channel is subscribed to while a worker of the process waits on it, and
//! unsubscribed from once the last is gone (looked at as often as the rechecks).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    FromRedisValue, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, RedisError,
    RedisResult, Script, Value,
};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::checked::MsgUuid;
use crate::delivery::fleet::outcome;
use crate::delivery::fleet::scripts::{self, RECHECK_SCRIPT, string};
use crate::delivery::receipt::{Delivery, Reply};
use crate::error::Error;

/// How long to wait for a connection to Redis.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long to wait for Redis's answer to one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a sender waits for its message's outcome before the store looks it up in Redis
/// (in case its publication was missed), and then how long between two looks. The store looks
/// every half of it, so a missed outcome is found within one and a half.
pub(crate) const RECHECK_AFTER: Duration = if cfg!(test) {
    Duration::from_millis(300)
} else {
    Duration::from_secs(30)
};

/// The most messages one look-up script reads (the keys of a script call are an array Redis
/// holds in memory at once): a robot's waiters are looked up in as many calls as this takes.
const RECHECK_BATCH: usize = 500;

/// A Redis server, as this process uses it. See the module's documentation.
pub(crate) struct Store {
    /// The URL, its password hidden: for `Debug` and logs.
    shown: String,
    runtime: tokio::runtime::Handle,
    connection: ConnectionManager,
    /// The channel this process's senders hear outcomes on.
    reply: String,
    /// The senders waiting for an outcome, by `msgUuid`.
    waiters: Mutex<HashMap<String, Waiter>>,
    /// Where each robot's workers in this process are woken, by channel.
    wakes: Mutex<HashMap<String, Vec<Weak<Notify>>>>,
    /// The channels subscribed to. Held across each subscription and unsubscription, so that
    /// they reach Redis in the order they are decided.
    subscribed: tokio::sync::Mutex<HashSet<String>>,
    /// Connections lost so far.
    disconnects: AtomicU64,
    /// A task looks up the outcomes that may have been missed.
    rechecking: AtomicBool,
}

/// A sender waiting for its message's outcome.
struct Waiter {
    reply: Reply,
    /// The robot's stream, its entry in it once queued, and where its outcome is kept.
    queue: String,
    entry: Option<String>,
    outcome_key: String,
    /// When it was queued, or last looked up and found still waiting.
    looked: Instant,
}

impl Store {
    /// The store at `url`, made at the first call for it in the process. A URL that is not a
    /// Redis URL is an [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error; nothing is
    /// connected until the store is first used.
    pub fn get(url: &str) -> Result<Arc<Store>, Error> {
        static STORES: LazyLock<Mutex<HashMap<String, Arc<Store>>>> =
            LazyLock::new(Default::default);
        let mut stores = lock(&STORES);
        if let Some(store) = stores.get(url) {
            return Ok(Arc::clone(store));
        }
        let store = Store::new(url)?;
        stores.insert(url.to_owned(), Arc::clone(&store));
        Ok(store)
    }

    fn new(url: &str) -> Result<Arc<Store>, Error> {
        let shown = redacted(url);
        let info = url.into_connection_info().map_err(|e| {
            // The parser's message may quote the URL, password and all: not shown.
            Error::invalid_config(format!(
                "the Redis URL {shown} is not valid ({:?}): redis://[:password@]host[:port][/db] \
                 (redis://user:password@… with a user), or redis+unix:///path?db=…&user=…&pass=…",
                e.kind()
            ))
        })?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let info = info.set_redis_settings(settings);
        let client = redis::Client::open(info)
            .map_err(|e| Error::invalid_config(format!("cannot use Redis at {shown}: {e}")))?;
        let runtime = start_runtime()
            .map_err(|e| Error::invalid_config(format!("cannot start a runtime: {e}")))?;
        let (pushes, pushed) = tokio::sync::mpsc::unbounded_channel();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1))
            .set_push_sender(pushes)
            .set_automatic_resubscription();
        let connection = {
            let _entered = runtime.enter();
            ConnectionManager::new_lazy_with_config(client, config)
                .map_err(|e| Error::invalid_config(format!("cannot use Redis at {shown}: {e}")))?
        };
        let reply = format!("dingtalk:reply:{:032x}", fastrand::u128(..));
        let store = Arc::new_cyclic(|this: &Weak<Store>| {
            runtime.spawn(dispatch(this.clone(), pushed));
            runtime.spawn(look_after(this.clone()));
            Store {
                shown,
                runtime,
                connection,
                reply,
                waiters: Mutex::default(),
                wakes: Mutex::default(),
                subscribed: tokio::sync::Mutex::default(),
                disconnects: AtomicU64::new(0),
                rechecking: AtomicBool::new(false),
            }
        });
        Ok(store)
    }

    /// The URL, its password hidden.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The channel this process's senders hear outcomes on.
    pub fn reply_channel(&self) -> &str {
        &self.reply
    }

    /// Runs `script` with `keys` and `args` on the store's runtime and waits for its answer.
    /// A failure (no connection, no answer in time, an error from Redis) is a
    /// [`StoreUnavailable`](crate::ErrorKind::StoreUnavailable) error that says it could not
    /// `what`, and why; credentials Redis refuses are
    /// [`InvalidConfig`](crate::ErrorKind::InvalidConfig) (see [`Error::store_unavailable`]).
    pub async fn script(
        &self,
        what: &str,
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<Value, Error> {
        let run = self
            .runtime
            .spawn(invoke(self.connection.clone(), script, keys, args));
        match run.await {
            Ok(answer) => answer.map_err(|e| Error::store_unavailable(what, e)),
            Err(e) => Err(Error::store_unavailable(what, e)),
        }
    }

    /// Sends `command` on the store's runtime and waits for its answer; a failure is a
    /// [`StoreUnavailable`](crate::ErrorKind::StoreUnavailable) error, as for a script.
    pub async fn command<T: FromRedisValue + Send + 'static>(
        &self,
        what: &str,
        command: redis::Cmd,
    ) -> Result<T, Error> {
        let mut connection = self.connection.clone();
        let run = self
            .runtime
            .spawn(async move { command.query_async(&mut connection).await });
        match run.await {
            Ok(answer) => answer.map_err(|e| Error::store_unavailable(what, e)),
            Err(e) => Err(Error::store_unavailable(what, e)),
        }
    }

    /// Runs `script` in the background: never waits, and works wherever it is called from.
    /// A failure is logged, at debug level: callers start only writes whose loss is made good
    /// by expiry.
    pub fn spawn_script(
        &self,
        what: &'static str,
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) {
        let run = invoke(self.connection.clone(), script, keys, args);
        self.runtime.spawn(async move {
            if let Err(e) = run.await {
                tracing::debug!(error = %e, "Redis could not {what}: left to expire");
            }
        });
    }

    /// Runs `task` on the store's runtime, where it outlives the caller's.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Subscribes to `channel`, unless it is already (the connection subscribes again
    /// whenever it reconnects, and the store once more after that: [`Store::resubscribe`]). A robot's wake channel is
    /// unsubscribed from once no worker of the process waits on it.
    pub async fn subscribe(self: &Arc<Self>, channel: &str) -> Result<(), Error> {
        // Taken only while a subscription changes: almost never.
        if let Ok(subscribed) = self.subscribed.try_lock()
            && subscribed.contains(channel)
        {
            return Ok(());
        }
        let store = Arc::clone(self);
        let name = channel.to_owned();
        // On the store's runtime as a whole, lock and all: a caller that stops waiting
        // cannot leave a subscription half made.
        let subscribed = self.runtime.spawn(async move {
            let mut subscribed = store.subscribed.lock().await;
            if !subscribed.contains(&name) {
                let mut connection = store.connection.clone();
                connection.subscribe(&name).await?;
                subscribed.insert(name);
            }
            Ok::<(), RedisError>(())
        });
        match subscribed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::store_unavailable(
                "subscribe to the robot's channels",
                e,
            )),
            Err(e) => Err(Error::store_unavailable(
                "subscribe to the robot's channels",
                e,
            )),
        }
    }

    /// Unsubscribes from the wake channels no worker of this process waits on any more.
    async fn unsubscribe_idle(&self) {
        let idle: Vec<String> = {
            let mut wakes = lock(&self.wakes);
            let idle: Vec<String> = wakes
                .iter_mut()
                .filter_map(|(channel, workers)| {
                    workers.retain(|worker| worker.strong_count() > 0);
                    workers.is_empty().then(|| channel.clone())
                })
                .collect();
            for channel in &idle {
                wakes.remove(channel);
            }
            idle
        };
        for channel in idle {
            let mut subscribed = self.subscribed.lock().await;
            // A worker came meanwhile (and found the channel subscribed to, or waits for this
            // lock to subscribe): left as it is.
            if lock(&self.wakes).contains_key(&channel) || !subscribed.contains(&channel) {
                continue;
            }
            let mut connection = self.connection.clone();
            match connection.unsubscribe(&channel).await {
                Ok(()) => {
                    subscribed.remove(&channel);
                }
                Err(e) => {
                    // Tried again at the next look.
                    tracing::debug!(error = %e, "Redis could not unsubscribe from a robot's channel");
                    lock(&self.wakes).entry(channel).or_default();
                }
            }
        }
    }

    /// The channels subscribed to, for tests.
    #[cfg(test)]
    async fn subscriptions(&self) -> HashSet<String> {
        self.subscribed.lock().await.clone()
    }

    /// What a worker of the robot whose wake channel is `channel` waits on: every worker in
    /// the process has its own, and each keeps a wake-up until it waits for it.
    pub fn wake(&self, channel: &str) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        let mut wakes = lock(&self.wakes);
        let workers = wakes.entry(channel.to_owned()).or_default();
        workers.retain(|worker| worker.strong_count() > 0);
        workers.push(Arc::downgrade(&wake));
        wake
    }

    /// A sender waits for the outcome of the message `msg_uuid`, about to be queued in
    /// `queue`, whose outcome will be kept at `outcome_key`.
    pub fn wait_for(&self, msg_uuid: &str, queue: &str, outcome_key: String) -> Delivery {
        let (mut reply, delivery) = Delivery::new();
        if let Some(uuid) = MsgUuid::parse(msg_uuid) {
            reply = reply.for_msg_uuid(uuid);
        }
        let mut waiters = lock(&self.waiters);
        // Senders that stopped waiting leave their place behind: swept as the map grows.
        if waiters.len() >= 1024 && waiters.len().is_power_of_two() {
            waiters.retain(|_, w| !w.reply.is_closed());
        }
        waiters.insert(
            msg_uuid.to_owned(),
            Waiter {
                reply,
                queue: queue.to_owned(),
                entry: None,
                outcome_key,
                looked: Instant::now(),
            },
        );
        delivery
    }

    /// The message `msg_uuid` was queued as `entry`.
    pub fn queued(&self, msg_uuid: &str, entry: String) {
        if let Some(waiter) = lock(&self.waiters).get_mut(msg_uuid) {
            waiter.entry = Some(entry);
        }
    }

    /// The message `msg_uuid` was not queued: nobody waits for it.
    pub fn forget(&self, msg_uuid: &str) {
        lock(&self.waiters).remove(msg_uuid);
    }

    /// A message on a subscribed channel.
    fn on_message(&self, channel: &str, message: &str) {
        if channel == self.reply {
            let Some((uuids, json)) = message.split_once('\n') else {
                return;
            };
            let mut waiters = lock(&self.waiters);
            for uuid in uuids.split(',') {
                let Some(result) = outcome::decode(json, uuid) else {
                    tracing::warn!(channel, "an outcome this library did not write: ignored");
                    return;
                };
                if let Some(waiter) = waiters.remove(uuid) {
                    // The sender may have stopped waiting.
                    let _ = waiter.reply.send(result);
                }
            }
        } else if let Some(workers) = lock(&self.wakes).get(channel) {
            for worker in workers.iter().filter_map(Weak::upgrade) {
                worker.notify_one();
            }
        }
    }

    /// The connection was lost: outcomes published meanwhile were not heard. Once it is
    /// back, subscribe again and look them up.
    fn on_disconnect(self: &Arc<Self>) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        if !self.rechecking.swap(true, Ordering::SeqCst) {
            self.runtime.spawn(Arc::clone(self).recheck());
        }
    }

    async fn recheck(self: Arc<Self>) {
        let mut delay = Duration::from_millis(50);
        loop {
            let seen = self.disconnects.load(Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
            if self.resubscribe().await.is_err() || self.recheck_once(None).await.is_err() {
                continue;
            }
            self.rechecking.store(false, Ordering::SeqCst);
            // Lost again meanwhile: go on, unless another task took over.
            if self.disconnects.load(Ordering::SeqCst) == seen
                || self.rechecking.swap(true, Ordering::SeqCst)
            {
                return;
            }
        }
    }

    /// Subscribes again to every channel subscribed to, in one command: the client does so by
    /// itself once it reconnects, but says nothing if that fails.
    async fn resubscribe(&self) -> Result<(), Error> {
        let subscribed = self.subscribed.lock().await;
        if subscribed.is_empty() {
            return Ok(());
        }
        let channels: Vec<&String> = subscribed.iter().collect();
        let mut connection = self.connection.clone();
        connection
            .subscribe(&channels)
            .await
            .map_err(|e| Error::store_unavailable("subscribe to the robot's channels", e))
    }

    /// Looks up the outcome of every message waited for (with `waited`: only of those not
    /// looked at for that long), robot by robot, one script for up to [`RECHECK_BATCH`] of
    /// them: found ones are answered; one gone from its queue with no outcome kept fails with
    /// [`Error::message_gone`]. Senders that stopped waiting are forgotten.
    async fn recheck_once(&self, waited: Option<Duration>) -> Result<(), Error> {
        let mut robots: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        {
            let now = Instant::now();
            let mut waiters = lock(&self.waiters);
            waiters.retain(|_, waiter| !waiter.reply.is_closed());
            for (uuid, waiter) in waiters.iter() {
                if waited.is_some_and(|waited| now.duration_since(waiter.looked) < waited) {
                    continue;
                }
                robots.entry(waiter.queue.clone()).or_default().push((
                    uuid.clone(),
                    waiter.outcome_key.clone(),
                    waiter.entry.clone().unwrap_or_default(),
                ));
            }
        }
        let mut failure = None;
        for (queue, waiting) in robots {
            for batch in waiting.chunks(RECHECK_BATCH) {
                if let Err(e) = self.recheck_batch(&queue, batch).await {
                    // The others are looked up all the same.
                    failure = Some(e);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Looks up the outcomes of `waiting` (`msgUuid`, outcome key, entry), all queued in
    /// `queue`, with one script.
    async fn recheck_batch(
        &self,
        queue: &str,
        waiting: &[(String, String, String)],
    ) -> Result<(), Error> {
        let mut keys = Vec::with_capacity(waiting.len() + 1);
        keys.push(queue.to_owned());
        keys.extend(waiting.iter().map(|(_, key, _)| key.clone()));
        let args = waiting.iter().map(|(_, _, entry)| entry.clone()).collect();
        let found = self
            .script("look up outcomes", &RECHECK_SCRIPT, keys, args)
            .await?;
        let found = scripts::array(&found).unwrap_or_default();
        let now = Instant::now();
        let mut waiters = lock(&self.waiters);
        for ((uuid, _, _), found) in waiting.iter().zip(found) {
            let result = match string(found).as_deref() {
                // Still queued or in flight.
                None | Some("") => {
                    if let Some(waiter) = waiters.get_mut(uuid) {
                        waiter.looked = now;
                    }
                    continue;
                }
                Some("-") => {
                    tracing::warn!(
                        msg_uuid = %uuid,
                        "a message waited for is no longer in Redis, and no outcome of it is kept (evicted or deleted?)"
                    );
                    Err(Error::message_gone().with_msg_uuid(uuid))
                }
                Some(json) => match outcome::decode(json, uuid) {
                    Some(result) => result,
                    None => continue,
                },
            };
            if let Some(waiter) = waiters.remove(uuid) {
                let _ = waiter.reply.send(result);
            }
        }
        Ok(())
    }
}

/// Every half of [`RECHECK_AFTER`], while the store lives: looks up the outcomes waited for
/// that long, and unsubscribes from the channels no worker waits on.
async fn look_after(store: Weak<Store>) {
    loop {
        tokio::time::sleep(RECHECK_AFTER / 2).await;
        let Some(store) = store.upgrade() else {
            return;
        };
        store.unsubscribe_idle().await;
        if let Err(e) = store.recheck_once(Some(RECHECK_AFTER)).await {
            tracing::debug!(error = %e, "outcomes waited for could not be looked up: tried again later");
        }
    }
}

/// A runtime on a thread of its own, for the life of the process.
fn start_runtime() -> std::io::Result<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("dingtalk-redis".to_owned())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}

/// Invokes `script` on `connection`.
async fn invoke(
    mut connection: ConnectionManager,
    script: &'static Script,
    keys: Vec<String>,
    args: Vec<String>,
) -> RedisResult<Value> {
    let mut invocation = script.prepare_invoke();
    for key in &keys {
        invocation.key(key);
    }
    for arg in &args {
        invocation.arg(arg);
    }
    invocation.invoke_async(&mut connection).await
}

/// Hands the pushes that come in on the connection to the store.
async fn dispatch(store: Weak<Store>, mut pushes: UnboundedReceiver<PushInfo>) {
    while let Some(push) = pushes.recv().await {
        let Some(store) = store.upgrade() else {
            return;
        };
        match push.kind {
            PushKind::Message => {
                if let [channel, message] = &push.data[..]
                    && let (Some(channel), Some(message)) = (string(channel), string(message))
                {
                    store.on_message(&channel, &message);
                }
            }
            PushKind::Disconnection => store.on_disconnect(),
            _ => {}
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The query parameters of a Redis URL shown as they are: what else a query holds is hidden,
/// since the client reads credentials from it (`user` and `pass`, in a `redis+unix://` URL).
const SHOWN_PARAMETERS: [&str; 2] = ["db", "protocol"];

/// `url` with its password, if any, replaced by `***`: the one in the user information
/// (`redis://user:password@host`), and the value of every query parameter but `db` and
/// `protocol` (`redis+unix:///path?user=…&pass=…`, where the client reads them).
pub(crate) fn redacted(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "<not a URL>".to_owned();
    };
    if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
        return "<a URL with a password>".to_owned();
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if SHOWN_PARAMETERS.contains(&name.as_ref()) {
                    value.into_owned()
                } else {
                    "***".to_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        if pairs.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    parsed.to_string()
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            redacted("redis://:hunter2@cache.internal:6380/2"),
            "redis://:***@cache.internal:6380/2"
        );
        assert_eq!(
            redacted("redis://user:hunter2@localhost"),
            "redis://user:***@localhost"
        );
        assert_eq!(redacted("redis://localhost:6379"), "redis://localhost:6379");
        assert_eq!(redacted("hunter2"), "<not a URL>");
        // The client reads `user` and `pass` from the query of a unix socket's URL.
        assert_eq!(
            redacted("redis+unix:///run/redis.sock?db=2&user=ops&pass=hunter2&protocol=resp3"),
            "redis+unix:///run/redis.sock?db=2&user=***&pass=***&protocol=resp3"
        );
        assert_eq!(
            redacted("unix:///run/redis.sock?pass=hunter2"),
            "unix:///run/redis.sock?pass=***"
        );
        // Spelt otherwise, read the same: every parameter but `db` and `protocol` is hidden.
        for url in [
            "redis+unix:///run/redis.sock?p%61ss=hunter2",
            "redis+unix:///run/redis.sock?password=hunter2&pass=x&pass=hunter2",
            "redis+unix:///run/redis.sock?pass=hunter2#frag",
            "redis://localhost/?pass=hunter2",
            "redis://:hunter2@localhost/0?protocol=3&auth=hunter2",
        ] {
            let shown = redacted(url);
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
            assert!(shown.contains("***"), "{url}: {shown}");
        }
        assert_eq!(
            redacted("redis://localhost:6379/?"),
            "redis://localhost:6379/"
        );
    }

    #[test]
    fn a_url_that_is_not_redis_is_a_configuration_error_that_hides_the_password() {
        for url in [
            "http://:hunter2@localhost",
            "redis+unix:///tmp/dingtalk-none.sock?pass=hunter2&db=not-a-number",
            "unix:///tmp/dingtalk-none.sock?user=ops&pass=hunter2&protocol=9",
        ] {
            let e = Store::get(url).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidConfig, "{url}: {e}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
            assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
        }
    }

    /// A Redis for one test: `REDIS_URL` if set, else a `redis-server` of its own on a free
    /// loopback port, killed when dropped (as `tests/support/redis_server.rs` at the
    /// workspace's root, which this crate cannot reach).
    struct TestRedis {
        url: String,
        child: Option<std::process::Child>,
    }

    impl TestRedis {
        fn start() -> TestRedis {
            if let Ok(url) = std::env::var("REDIS_URL")
                && !url.is_empty()
            {
                return TestRedis { url, child: None };
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|addr| addr.port())
                .unwrap();
            let child = std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("these tests need Redis: set REDIS_URL, or put redis-server on the PATH: {e}")
                });
            let until = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < until, "redis-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
            TestRedis {
                url: format!("redis://127.0.0.1:{port}"),
                child: Some(child),
            }
        }
    }

    impl Drop for TestRedis {
        fn drop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Keys of a robot of one test's own.
    fn names() -> (String, String) {
        let robot = format!("dingtalk:{{test-{:032x}}}:", fastrand::u128(..));
        (format!("{robot}queue"), format!("{robot}outcome:"))
    }

    /// Queues a message in `queue` as `ENQUEUE` would, and has `store` wait for its outcome:
    /// its `msgUuid`, its entry and what its sender hears.
    async fn queue_one(
        store: &Arc<Store>,
        queue: &str,
        outcome: &str,
    ) -> (String, String, Delivery) {
        store.subscribe(store.reply_channel()).await.unwrap();
        let uuid = format!("{:032x}", fastrand::u128(..));
        let delivery = store.wait_for(&uuid, queue, format!("{outcome}{uuid}"));
        let entry: String = store
            .command(
                "queue",
                redis::cmd("XADD")
                    .arg(queue)
                    .arg("*")
                    .arg("u")
                    .arg(&uuid)
                    .clone(),
            )
            .await
            .unwrap();
        store.queued(&uuid, entry.clone());
        (uuid, entry, delivery)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_outcome_whose_publication_was_missed_is_found_and_a_message_gone_fails() {
        let redis = TestRedis::start();
        let store = Store::new(&redis.url).unwrap();
        let (queue, outcome) = names();
        let started = Instant::now();
        // Delivered: its outcome kept, and published where nobody listens.
        let (delivered, entry, heard) = queue_one(&store, &queue, &outcome).await;
        // Evicted, or deleted behind the robot's back: no outcome kept.
        let (_, gone_entry, gone) = queue_one(&store, &queue, &outcome).await;
        // Still queued: waits on.
        let (_, _, waiting) = queue_one(&store, &queue, &outcome).await;
        let kept = r#"{"ok":{"errmsg":"ok","elapsed_us":7,"attempts":1,"waited_us":0,"merged":1}}"#;
        let _: () = store
            .command(
                "finish",
                redis::cmd("SET")
                    .arg(format!("{outcome}{delivered}"))
                    .arg(kept)
                    .clone(),
            )
            .await
            .unwrap();
        for id in [&entry, &gone_entry] {
            let _: i64 = store
                .command("delete", redis::cmd("XDEL").arg(&queue).arg(id).clone())
                .await
                .unwrap();
        }
        let within = RECHECK_AFTER * 2 + Duration::from_secs(1);
        let receipt = tokio::time::timeout(within, heard).await.unwrap().unwrap();
        assert_eq!(
            (receipt.errmsg(), receipt.elapsed()),
            ("ok", Duration::from_micros(7))
        );
        let e = tokio::time::timeout(within, gone)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::StoreUnavailable);
        assert!(
            e.to_string()
                .contains("no longer in Redis (evicted or deleted)"),
            "{e}"
        );
        let elapsed = started.elapsed();
        assert!(
            elapsed >= RECHECK_AFTER,
            "looked up before it was due: {elapsed:?}"
        );
        println!("a missed outcome found after {elapsed:?}");
        // Looked up, and still waited for.
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(RECHECK_AFTER * 2, &mut waiting)
                .await
                .is_err()
        );
        // All of a robot's waiters are looked up with one script.
        assert_eq!(lock(&store.waiters).len(), 1);
        let _: i64 = store
            .command("clean up", redis::cmd("DEL").arg(&queue).clone())
            .await
            .unwrap();
        let e = tokio::time::timeout(within, waiting)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::StoreUnavailable);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wake_channel_is_unsubscribed_from_when_its_last_worker_is_gone() {
        let redis = TestRedis::start();
        let store = Store::new(&redis.url).unwrap();
        let channel = format!("dingtalk:{{test-{:032x}}}:wake", fastrand::u128(..));
        let first = store.wake(&channel);
        let second = store.wake(&channel);
        store.subscribe(&channel).await.unwrap();
        store.subscribe(store.reply_channel()).await.unwrap();
        let count = |store: Arc<Store>, channel: String| async move {
            let counts: Vec<redis::Value> = store
                .command(
                    "count subscribers",
                    redis::cmd("PUBSUB").arg("NUMSUB").arg(&channel).clone(),
                )
                .await
                .unwrap();
            scripts::int(&counts[1]).unwrap()
        };
        assert_eq!(count(Arc::clone(&store), channel.clone()).await, 1);
        drop(first);
        tokio::time::sleep(RECHECK_AFTER * 2).await;
        // One worker is left.
        assert!(store.subscriptions().await.contains(&channel));
        assert_eq!(count(Arc::clone(&store), channel.clone()).await, 1);
        // A wake-up still reaches it.
        let _: i64 = store
            .command("wake", redis::cmd("PUBLISH").arg(&channel).arg("").clone())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(2), second.notified())
            .await
            .unwrap();
        drop(second);
        let until = Instant::now() + RECHECK_AFTER * 2 + Duration::from_secs(1);
        while store.subscriptions().await.contains(&channel) {
            assert!(Instant::now() < until, "still subscribed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(count(Arc::clone(&store), channel.clone()).await, 0);
        assert!(!lock(&store.wakes).contains_key(&channel));
        // The reply channel stays.
        assert!(store.subscriptions().await.contains(store.reply_channel()));
        // A new worker subscribes again, and is woken.
        let again = store.wake(&channel);
        store.subscribe(&channel).await.unwrap();
        assert_eq!(count(Arc::clone(&store), channel.clone()).await, 1);
        let _: i64 = store
            .command("wake", redis::cmd("PUBLISH").arg(&channel).arg("").clone())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(2), again.notified())
            .await
            .unwrap();
    }
}
