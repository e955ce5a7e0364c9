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
//! outcome of every message still waited for.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    FromRedisValue, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, RedisResult, Script,
    Value,
};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::delivery::fleet::outcome;
use crate::delivery::fleet::scripts::{self, RECHECK_SCRIPT, string};
use crate::delivery::receipt::{Delivery, Reply};
use crate::error::Error;

/// How long to wait for a connection to Redis.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long to wait for Redis's answer to one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// The channels subscribed to.
    subscribed: Mutex<HashSet<String>>,
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
                "the Redis URL {shown} is not valid ({:?}): redis://[:password@]host[:port][/db]",
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
            Store {
                shown,
                runtime,
                connection,
                reply,
                waiters: Mutex::default(),
                wakes: Mutex::default(),
                subscribed: Mutex::default(),
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
    /// `what`.
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

    /// Subscribes to `channel`, once for the life of the store (the connection subscribes
    /// again whenever it reconnects).
    pub async fn subscribe(&self, channel: &str) -> Result<(), Error> {
        if lock(&self.subscribed).contains(channel) {
            return Ok(());
        }
        let mut connection = self.connection.clone();
        let name = channel.to_owned();
        let subscribed = self
            .runtime
            .spawn(async move { connection.subscribe(&name).await });
        match subscribed.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::store_unavailable("subscribe to outcomes", e)),
            Err(e) => return Err(Error::store_unavailable("subscribe to outcomes", e)),
        }
        lock(&self.subscribed).insert(channel.to_owned());
        Ok(())
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
        let (reply, delivery) = Delivery::new();
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
            let Some(result) = outcome::decode(json) else {
                tracing::warn!(channel, "an outcome this library did not write: ignored");
                return;
            };
            let mut waiters = lock(&self.waiters);
            for uuid in uuids.split(',') {
                if let Some(waiter) = waiters.remove(uuid) {
                    // The sender may have stopped waiting.
                    let _ = waiter.reply.send(result.clone());
                }
            }
        } else if let Some(workers) = lock(&self.wakes).get(channel) {
            for worker in workers.iter().filter_map(Weak::upgrade) {
                worker.notify_one();
            }
        }
    }

    /// The connection was lost: outcomes published meanwhile were not heard. Once it is
    /// back, look them up.
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
            if self.recheck_once().await.is_err() {
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

    /// Looks up the outcome of every message waited for, robot by robot: found ones are
    /// answered; one gone from its queue with no outcome kept fails with
    /// [`StoreUnavailable`](crate::ErrorKind::StoreUnavailable).
    async fn recheck_once(&self) -> Result<(), Error> {
        let mut robots: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        for (uuid, waiter) in lock(&self.waiters).iter() {
            robots.entry(waiter.queue.clone()).or_default().push((
                uuid.clone(),
                waiter.outcome_key.clone(),
                waiter.entry.clone().unwrap_or_default(),
            ));
        }
        for (queue, waiting) in robots {
            let mut keys = Vec::with_capacity(waiting.len() + 1);
            keys.push(queue);
            keys.extend(waiting.iter().map(|(_, key, _)| key.clone()));
            let args = waiting.iter().map(|(_, _, entry)| entry.clone()).collect();
            let found = self
                .script("look up outcomes", &RECHECK_SCRIPT, keys, args)
                .await?;
            let found = scripts::array(&found).unwrap_or_default();
            let mut waiters = lock(&self.waiters);
            for ((uuid, _, _), found) in waiting.iter().zip(found) {
                let result = match string(found).as_deref() {
                    None | Some("") => continue,
                    Some("-") => Err(Error::store_unavailable(
                        "keep the outcome of a message while this process was disconnected \
                         (it was delivered or finally failed: the log of the process that \
                         delivered it says which)",
                        scripts::Unexpected("no outcome kept"),
                    )),
                    Some(json) => match outcome::decode(json) {
                        Some(result) => result,
                        None => continue,
                    },
                };
                if let Some(waiter) = waiters.remove(uuid) {
                    let _ = waiter.reply.send(result);
                }
            }
        }
        Ok(())
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

/// `url` with its password, if any, replaced by `***`.
pub(crate) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<not a URL>".to_owned(),
    }
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
    }

    #[test]
    fn a_url_that_is_not_redis_is_a_configuration_error_that_hides_the_password() {
        let e = Store::get("http://:hunter2@localhost").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidConfig);
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
