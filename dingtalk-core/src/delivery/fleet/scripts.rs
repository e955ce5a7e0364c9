//! The Lua scripts that change a robot's state in Redis, each in one atomic step, and the
//! reading of what they answer.
//!
//! Times are milliseconds of Redis's own clock (`TIME`), so that every process of a fleet reads
//! one clock. Each script that a message's delivery runs does all the work of its step in one
//! round trip: a queued message costs the sender one (`ENQUEUE`) and the process that delivers
//! it one or two (`TAKE` when the queue was idle, then `FINISH`, which also reads and takes a
//! place for what comes next).

use std::sync::LazyLock;

use redis::{Script, Value};

/// What the scripts share: Redis's clock, and taking and giving back places in the limit.
const COMMON: &str = r#"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Gives back the places named in ARGV[first..]: each comes back `per` ms from now. A place
-- that is gone already (its lease ran out) stays gone.
local function release(places, now, per, first)
  for i = first, #ARGV do
    redis.call('ZADD', places, 'XX', now + per, ARGV[i])
  end
end

-- Takes the place `id` if no throttle holds and fewer than `max` places are taken (`max` 0:
-- no limit, only the throttle counts). A place counts until `lease` ms from now, the longest
-- its request may take and then the window; its answer brings that to `per` ms after it.
-- Returns {1, 0, used} when taken, else {0, ms to wait, used}; `used` is -1 while held.
local function acquire(places, hold, now, max, per, lease, id, idle)
  local held = redis.call('PTTL', hold)
  if held > 0 then return {0, held, -1} end
  if max == 0 then return {1, 0, 0} end
  redis.call('ZREMRANGEBYSCORE', places, '-inf', now)
  local used = redis.call('ZCARD', places)
  if used >= max then
    -- A place in flight comes back `per` after its answer, so no sooner than `per` from now.
    local first = redis.call('ZRANGE', places, 0, 0, 'WITHSCORES')
    local back = math.min(tonumber(first[2]), now + per)
    return {0, math.max(back - now, 1), used}
  end
  redis.call('ZADD', places, now + lease, id)
  redis.call('PEXPIRE', places, idle)
  return {1, 0, used + 1}
end

-- Reads up to `count` new entries for the consumer `token`.
local function read(queue, token, count)
  if count == 0 or redis.call('EXISTS', queue) == 0 then return {} end
  local got = redis.call('XREADGROUP', 'GROUP', 'workers', token, 'COUNT', count, 'STREAMS', queue, '>')
  if got then return got[1][2] end
  return {}
end
"#;

/// The limiter on its own: gives back places, then takes one (unless its id is empty) for
/// the holder of the lease `token` (unless it is empty): a process that lost the lease (it
/// stalled, and another took over) takes no place, and so sends nothing more.
///
/// KEYS: places, hold, lease. ARGV: max, per, lease ms, idle, id, token, then the places to
/// give back. Returns what `acquire` returns; {0, 0, -2} when no place was asked for, and
/// {0, 0, -3} when the lease is another's.
const LIMIT: &str = r#"
local now = now_ms()
local per = tonumber(ARGV[2])
release(KEYS[1], now, per, 7)
if ARGV[5] == '' then return {0, 0, -2} end
if ARGV[6] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[6] then return {0, 0, -3} end
return acquire(KEYS[1], KEYS[2], now, tonumber(ARGV[1]), per, tonumber(ARGV[3]), ARGV[5], tonumber(ARGV[4]))
"#;

/// DingTalk throttles the robot: every process holds for the penalty, unless a longer hold is
/// in place already.
///
/// KEYS: hold. ARGV: penalty ms.
const HOLD: &str = r#"
local left = redis.call('PTTL', KEYS[1])
local penalty = tonumber(ARGV[1])
if left ~= -1 and left < penalty then
  redis.call('SET', KEYS[1], '1', 'PX', penalty)
end
return 1
"#;

/// Queues a message, as the queue policy says when the queue is full: `fail` and `wait`
/// refuse it (the sender fails, or tries again later), `digest` queues it marked as an
/// overflow, which the deliverer merges with the backlog before it, up to `bound` messages in
/// all (past it, no process may be delivering: refused as with `fail`). The deliverer is
/// woken when the queue was empty (otherwise it reads on when it finishes what it holds).
///
/// Queueing the same `msgUuid` again within `marker ttl` (a sender whose answer was lost
/// tries again) queues nothing and answers as the first time did: the entry is kept under
/// the marker key.
///
/// A message with a deadline (`within` ms from now, empty for none) keeps it as `d`, in ms of
/// Redis's clock: the deliverer sends nothing of it after then.
///
/// KEYS: queue, marker. ARGV: capacity, policy, idle ms, msgUuid, body, reply channel, wake
/// channel, marker ttl ms, bound, within ms.
/// Returns {1, length, id} when queued (or queued already), {0, length} when refused.
const ENQUEUE: &str = r#"
local queue = KEYS[1]
local known = redis.call('GET', KEYS[2])
if known then return {1, redis.call('XLEN', queue), known} end
if redis.call('EXISTS', queue) == 0 then
  redis.call('XGROUP', 'CREATE', queue, 'workers', '0', 'MKSTREAM')
end
local len = redis.call('XLEN', queue)
local over = len >= tonumber(ARGV[1])
if over and (ARGV[2] ~= 'digest' or len >= tonumber(ARGV[9])) then return {0, len} end
local fields = {'u', ARGV[4], 'b', ARGV[5], 'r', ARGV[6]}
if over then
  table.insert(fields, 'o')
  table.insert(fields, '1')
end
if ARGV[10] and ARGV[10] ~= '' then
  table.insert(fields, 'd')
  table.insert(fields, tostring(now_ms() + tonumber(ARGV[10])))
end
local id = redis.call('XADD', queue, '*', unpack(fields))
redis.call('PEXPIRE', queue, ARGV[3])
redis.call('SET', KEYS[2], id, 'PX', ARGV[8])
if len == 0 then redis.call('PUBLISH', ARGV[7], '') end
return {1, len + 1, id}
"#;

/// Takes or keeps the lease of the robot's delivery. A process that takes it forgets the
/// consumers of earlier holders that hold no entries. A lease with no time to live (made
/// persistent by hand) is given one, so that it lapses as a lease does.
///
/// KEYS: lease, queue. ARGV: token, lease ms. Returns {1, 0} when held, else {0, ms left}.
const LEAD: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, 0}
end
if holder then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    left = tonumber(ARGV[2])
  end
  return {0, left}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then
  local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[2], 'workers')
  if type(consumers) == 'table' and not consumers.err then
    for _, consumer in ipairs(consumers) do
      local name, pending
      for i = 1, #consumer, 2 do
        if consumer[i] == 'name' then name = consumer[i + 1] end
        if consumer[i] == 'pending' then pending = consumer[i + 1] end
      end
      if name and name ~= ARGV[1] and pending == 0 then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[2], 'workers', name)
      end
    end
  end
end
return {1, 0}
"#;

/// Keeps the lease if it is still this process's. KEYS: lease. ARGV: token, lease ms.
/// Returns 1 when kept, 0 when lost.
const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"#;

/// Gives the lease up, if it is still this process's, and wakes the others so that one takes
/// it at once. KEYS: lease. ARGV: token, the channel of a lease given up.
const STEP_DOWN: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], '')
end
return 1
"#;

/// Claims for the lease holder the entries an earlier holder read and did not finish, in
/// order, from `cursor` on.
///
/// KEYS: lease, queue. ARGV: token, lease ms, cursor, count.
/// Returns {0} when the lease is lost, else {1, next cursor, entries, now ms}.
const CLAIM: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 0 then return {1, '0-0', {}, now_ms()} end
local claimed = redis.call('XAUTOCLAIM', KEYS[2], 'workers', ARGV[1], 0, ARGV[3], 'COUNT', ARGV[4])
return {1, claimed[1], claimed[2], now_ms()}
"#;

/// The lease holder reads new entries, and takes a place in the limit for the first.
///
/// KEYS: lease, queue, places, hold. ARGV: token, lease ms, count, max, per, place lease,
/// idle, place id, then the places to give back.
/// Returns {0} when the lease is lost, else {1, entries, place, queue length, now ms}; the
/// place is {0, 0, -2} when none was asked for (no entry was read).
const TAKE: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local now = now_ms()
local per = tonumber(ARGV[5])
release(KEYS[3], now, per, 9)
local entries = read(KEYS[2], ARGV[1], tonumber(ARGV[3]))
local place = {0, 0, -2}
if #entries > 0 then
  place = acquire(KEYS[3], KEYS[4], now, tonumber(ARGV[4]), per, tonumber(ARGV[6]), ARGV[8], tonumber(ARGV[7]))
end
return {1, entries, place, redis.call('XLEN', KEYS[2]), now}
"#;

/// The lease holder finished entries (delivered, or finally failed): their outcome is kept
/// for a while and published to each sender's channel, and they are acknowledged and
/// deleted. Then, if the lease is still its own, it reads what comes next (`count` 0: it holds
/// more already) and takes a place for it.
///
/// KEYS: lease, queue, places, hold, then the outcome key of each entry.
/// ARGV: token, lease ms, count, max, per, place lease, idle, place id, outcome ttl ms,
/// outcome, the number n of entries, n entry ids, the number c of channels, c pairs of
/// (channel, message), then the places to give back.
/// Returns {0, queue length} when the lease is lost, else {1, entries, place, queue length,
/// now ms}.
const FINISH: &str = r#"
local now = now_ms()
local per = tonumber(ARGV[5])
local n = tonumber(ARGV[11])
local c = tonumber(ARGV[12 + n])
release(KEYS[3], now, per, 13 + n + 2 * c)
for i = 12, 11 + n do
  redis.call('XACK', KEYS[2], 'workers', ARGV[i])
  redis.call('XDEL', KEYS[2], ARGV[i])
end
for i = 5, #KEYS do
  redis.call('SET', KEYS[i], ARGV[10], 'PX', ARGV[9])
end
for i = 13 + n, 11 + n + 2 * c, 2 do
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, redis.call('XLEN', KEYS[2])} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local count = tonumber(ARGV[3])
local entries = read(KEYS[2], ARGV[1], count)
local place = {0, 0, -2}
if ARGV[8] ~= '' and (count == 0 or #entries > 0) then
  place = acquire(KEYS[3], KEYS[4], now, tonumber(ARGV[4]), per, tonumber(ARGV[6]), ARGV[8], tonumber(ARGV[7]))
end
return {1, entries, place, redis.call('XLEN', KEYS[2]), now}
"#;

/// After the connection to Redis was lost and found again: the outcome of each message a
/// sender of this process waits for, published while the connection was down.
///
/// KEYS: queue, then each message's outcome key. ARGV: each message's entry id, in order
/// (empty while its sender has not heard it: still queued).
/// Returns for each: its outcome, `''` while it is still queued, `'-'` when it is gone with
/// no outcome kept.
const RECHECK: &str = r#"
local found = {}
for i = 2, #KEYS do
  local outcome = redis.call('GET', KEYS[i])
  if outcome then
    found[i - 1] = outcome
  elseif ARGV[i - 1] == '' or #redis.call('XRANGE', KEYS[1], ARGV[i - 1], ARGV[i - 1]) > 0 then
    found[i - 1] = ''
  else
    found[i - 1] = '-'
  end
end
return found
"#;

fn script(body: &str) -> Script {
    Script::new(&format!("{COMMON}\n{body}"))
}

pub(crate) static LIMIT_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(LIMIT));
pub(crate) static HOLD_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(HOLD));
pub(crate) static ENQUEUE_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(ENQUEUE));
pub(crate) static LEAD_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(LEAD));
pub(crate) static RENEW_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(RENEW));
pub(crate) static STEP_DOWN_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(STEP_DOWN));
pub(crate) static CLAIM_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(CLAIM));
pub(crate) static TAKE_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(TAKE));
pub(crate) static FINISH_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(FINISH));
pub(crate) static RECHECK_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(RECHECK));

/// What a script answered was not what it writes.
#[derive(Debug)]
pub(crate) struct Unexpected(pub &'static str);

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected answer from Redis: {}", self.0)
    }
}

impl std::error::Error for Unexpected {}

/// An integer in an answer.
pub(crate) fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

/// A string in an answer.
pub(crate) fn string(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Okay => Some("OK".to_owned()),
        _ => None,
    }
}

/// An array in an answer (an empty one for nil).
pub(crate) fn array(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items),
        Value::Nil => Some(&[]),
        _ => None,
    }
}

/// What a script answered about a place in the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// Taken, or not (`wait_ms`: how long to wait before asking again): `used` places are
    /// taken, with this one.
    Counted {
        taken: bool,
        wait_ms: u64,
        used: u64,
    },
    /// A throttle holds for `wait_ms` more.
    Held { wait_ms: u64 },
    /// No place was asked for (the script read no message, or only gave places back): it
    /// says nothing of the limit or a throttle.
    NotAsked,
    /// Not taken: the lease of the robot's queue is another process's.
    LeaseLost,
}

impl Placed {
    pub fn read(value: &Value) -> Option<Placed> {
        let items = array(value)?;
        let (taken, wait, used) = (
            int(items.first()?)?,
            int(items.get(1)?)?,
            int(items.get(2)?)?,
        );
        let wait_ms = u64::try_from(wait).unwrap_or(0);
        Some(match used {
            -1 => Placed::Held { wait_ms },
            -2 => Placed::NotAsked,
            -3 => Placed::LeaseLost,
            used => Placed::Counted {
                taken: taken == 1,
                wait_ms,
                used: u64::try_from(used).ok()?,
            },
        })
    }

    /// Whether the place was taken.
    pub fn taken(self) -> bool {
        matches!(self, Placed::Counted { taken: true, .. })
    }
}

/// One entry of a robot's stream: a queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub id: String,
    pub msg_uuid: String,
    /// Its body; read lossily when it is not UTF-8 (then `problem` says so).
    pub body: String,
    /// Where its sender waits for its outcome.
    pub reply: String,
    /// Queued over the capacity (with `QueuePolicy::Digest`): merged with what is before it.
    pub overflow: bool,
    /// When it must have been sent by, in ms of Redis's clock, if it must.
    pub deadline_ms: Option<i64>,
    /// What makes it unreadable as this library writes entries (a field missing or not
    /// UTF-8, an odd list of fields: written by something else): it cannot be sent.
    pub problem: Option<&'static str>,
}

impl Entry {
    /// The entry `value`, however malformed its fields; `None` when it has no id (only Redis
    /// writes those: the answer is not what a stream's is).
    fn read(value: &Value) -> Option<Entry> {
        let items = array(value)?;
        let id = string(items.first()?)?;
        let mut entry = Entry {
            id,
            msg_uuid: String::new(),
            body: String::new(),
            reply: String::new(),
            overflow: false,
            deadline_ms: None,
            problem: None,
        };
        let Some(fields) = items.get(1).and_then(array) else {
            entry.problem = Some("it has no fields");
            return Some(entry);
        };
        let mut problem = None;
        let (mut has_uuid, mut has_body) = (false, false);
        for pair in fields.chunks(2) {
            let [name, value] = pair else {
                problem.get_or_insert("its fields are an odd list");
                continue;
            };
            let Some(name) = string(name) else {
                problem.get_or_insert("a field's name is not UTF-8");
                continue;
            };
            match name.as_str() {
                "u" => match string(value) {
                    Some(uuid) => (entry.msg_uuid, has_uuid) = (uuid, true),
                    None => {
                        problem.get_or_insert("its msgUuid is not UTF-8");
                    }
                },
                "b" => {
                    has_body = true;
                    match string(value) {
                        Some(body) => entry.body = body,
                        None => {
                            problem.get_or_insert("its body is not UTF-8");
                            if let Value::BulkString(bytes) = value {
                                entry.body = String::from_utf8_lossy(bytes).into_owned();
                            }
                        }
                    }
                }
                "r" => match string(value) {
                    Some(reply) => entry.reply = reply,
                    None => {
                        problem.get_or_insert("its reply channel is not UTF-8");
                    }
                },
                "o" => entry.overflow = true,
                "d" => match int(value) {
                    Some(ms) => entry.deadline_ms = Some(ms),
                    None => {
                        problem.get_or_insert("its deadline is not a number");
                    }
                },
                _ => {}
            }
        }
        if !has_uuid {
            problem.get_or_insert("it has no msgUuid");
        }
        if !has_body {
            problem.get_or_insert("it has no body");
        }
        entry.problem = problem;
        Some(entry)
    }

    /// The entries in `value`, in order, each read on its own: one that is malformed is
    /// there with its `problem`, so that it is finished rather than hold up those after it.
    /// An entry deleted while pending (nil) is left out. `None` when `value` is not a list
    /// of entries, or an entry has no id.
    pub fn read_all(value: &Value) -> Option<Vec<Entry>> {
        array(value)?
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(Entry::read)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_in_order_with_their_fields() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let entry = |id: &str, overflow: bool| {
            let mut fields = vec![
                bulk("u"),
                bulk("00ff"),
                bulk("b"),
                bulk("{}"),
                bulk("r"),
                bulk("chan"),
            ];
            if overflow {
                fields.extend([bulk("o"), bulk("1")]);
            }
            Value::Array(vec![bulk(id), Value::Array(fields)])
        };
        let value = Value::Array(vec![entry("1-0", false), Value::Nil, entry("2-0", true)]);
        let entries = Entry::read_all(&value).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, "1-0");
        assert_eq!(entries[0].msg_uuid, "00ff");
        assert_eq!(entries[0].body, "{}");
        assert_eq!(entries[0].reply, "chan");
        assert!(!entries[0].overflow);
        assert_eq!(entries[0].problem, None);
        assert!(entries[1].overflow);
        assert_eq!(Entry::read_all(&Value::Nil), Some(vec![]));
        assert_eq!(Entry::read_all(&Value::Int(1)), None);
    }

    #[test]
    fn a_malformed_entry_is_read_on_its_own_with_what_is_wrong() {
        let bulk = |s: &[u8]| Value::BulkString(s.to_vec());
        let entry = |id: &str, fields: Vec<Value>| {
            Value::Array(vec![bulk(id.as_bytes()), Value::Array(fields)])
        };
        let good = || vec![bulk(b"u"), bulk(b"00ff"), bulk(b"b"), bulk(b"{}")];
        let mut odd = good();
        odd.push(bulk(b"r"));
        let mut bad_name = good();
        bad_name.extend([bulk(b"\xff"), bulk(b"x")]);
        let value = Value::Array(vec![
            entry("1-0", good()),
            entry(
                "2-0",
                vec![
                    bulk(b"u"),
                    bulk(b"00ff"),
                    bulk(b"b"),
                    bulk(b"{\"x\":\"\xff\"}"),
                ],
            ),
            entry("3-0", odd),
            entry("4-0", vec![bulk(b"b"), bulk(b"{}")]),
            entry("5-0", vec![bulk(b"u"), bulk(b"00ff")]),
            entry(
                "6-0",
                vec![bulk(b"u"), bulk(b"\xfe"), bulk(b"b"), bulk(b"{}")],
            ),
            entry("7-0", bad_name),
            Value::Array(vec![bulk(b"8-0"), Value::Int(3)]),
            entry("9-0", good()),
        ]);
        let entries = Entry::read_all(&value).unwrap();
        let problems: Vec<(&str, Option<&str>)> =
            entries.iter().map(|e| (e.id.as_str(), e.problem)).collect();
        assert_eq!(
            problems,
            [
                ("1-0", None),
                ("2-0", Some("its body is not UTF-8")),
                ("3-0", Some("its fields are an odd list")),
                ("4-0", Some("it has no msgUuid")),
                ("5-0", Some("it has no body")),
                ("6-0", Some("its msgUuid is not UTF-8")),
                ("7-0", Some("a field's name is not UTF-8")),
                ("8-0", Some("it has no fields")),
                ("9-0", None),
            ]
        );
        // What can be read of it is there: its msgUuid, and its body lossily.
        assert_eq!(entries[1].msg_uuid, "00ff");
        assert_eq!(entries[1].body, "{\"x\":\"\u{fffd}\"}");
        // Without an id, the answer is not a stream's.
        let no_id = Value::Array(vec![Value::Array(vec![Value::Int(1), Value::Nil])]);
        assert_eq!(Entry::read_all(&no_id), None);
    }

    #[test]
    fn a_place_not_asked_for_says_nothing_of_the_limit() {
        let answer = |used: i64| Value::Array(vec![Value::Int(0), Value::Int(0), Value::Int(used)]);
        assert_eq!(Placed::read(&answer(-2)), Some(Placed::NotAsked));
        assert_eq!(Placed::read(&answer(-3)), Some(Placed::LeaseLost));
        assert_eq!(
            Placed::read(&Value::Array(vec![
                Value::Int(0),
                Value::Int(900),
                Value::Int(-1)
            ])),
            Some(Placed::Held { wait_ms: 900 })
        );
        let taken = Placed::read(&Value::Array(vec![
            Value::Int(1),
            Value::Int(0),
            Value::Int(3),
        ]));
        assert_eq!(
            taken,
            Some(Placed::Counted {
                taken: true,
                wait_ms: 0,
                used: 3
            })
        );
        assert!(taken.unwrap().taken());
    }
}
