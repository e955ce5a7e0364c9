//! Delivering one job: within the limit, through throttles and retries, as itself or as
//! digests; and telling the sender, the failure hook and the fallback how it ended.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::checked::{Checked, MsgUuid};
use crate::delivery::digest;
use crate::delivery::limiter::{InFlight, Limiter};
use crate::delivery::queue::{Job, Part};
use crate::delivery::receipt::Receipt;
use crate::delivery::settings::{FailureHook, Fallback, Policy};
use crate::error::{Error, ErrorKind, Sent};
use crate::markdown::{self, Newlines};
use crate::payload::{Markdown, Payload};
use crate::transport::{Accepted, Destination, Transport};

/// How many throttles in a row one message waits through before it fails as rate limited:
/// six ten-minute throttles, an hour, mean something other than a burst is sending.
const MAX_THROTTLES: u32 = 6;

/// Delivers a robot's jobs to its destination, one at a time, in order.
pub(crate) struct Worker<D> {
    destination: D,
    transport: Transport,
    limiter: Arc<dyn Limiter>,
    policy: Policy,
}

/// One step of a job's delivery, as [`Worker::plan`] makes it: the steps take the job's
/// messages in order, each as many as it sends.
pub(crate) enum Step {
    /// The next message, as it is.
    One,
    /// The next `count` messages, merged into `digest`.
    Merged { count: usize, digest: Checked },
}

impl Step {
    /// How many of the job's messages it sends.
    pub fn count(&self) -> usize {
        match self {
            Step::One => 1,
            Step::Merged { count, .. } => *count,
        }
    }
}

/// How the last attempt of a delivery ended well.
struct Answered {
    accepted: Accepted,
    elapsed: Duration,
}

impl<D: Destination> Worker<D> {
    pub fn new(
        destination: D,
        transport: Transport,
        limiter: Arc<dyn Limiter>,
        policy: Policy,
    ) -> Worker<D> {
        Worker {
            destination,
            transport,
            limiter,
            policy,
        }
    }

    pub fn destination(&self) -> &D {
        &self.destination
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub fn limiter(&self) -> &dyn Limiter {
        &*self.limiter
    }

    fn name(&self) -> &str {
        self.destination.name()
    }

    /// How to send `messages`, a job's in order: one message as itself; a merged backlog as
    /// digests that fit, in order, each message that would go alone as itself.
    pub fn plan(&self, messages: &[&Checked]) -> Vec<Step> {
        if messages.len() == 1 {
            return vec![Step::One];
        }
        tracing::debug!(
            robot = %self.name(),
            merged = messages.len(),
            "the queue overflowed: its backlog goes as digests"
        );
        let runs = {
            let payloads: Vec<&Payload> = messages.iter().map(|m| m.payload()).collect();
            digest::runs(&payloads)
        };
        let mut steps = Vec::with_capacity(runs.len());
        for run in runs {
            match run.digest.map(|digest| self.destination.check(digest)) {
                Some(Ok(digest)) => steps.push(Step::Merged {
                    count: run.range.len(),
                    digest,
                }),
                Some(Err(e)) => {
                    // Each part passed, so only merging broke it (a keyword lost to escaping,
                    // say): each goes as itself.
                    tracing::warn!(
                        robot = %self.name(),
                        error = %e,
                        cause = e.causes().as_deref(),
                        parts = run.range.len(),
                        "a digest failed the check: its messages go one by one"
                    );
                    steps.extend(run.range.map(|_| Step::One));
                }
                None => steps.push(Step::One),
            }
        }
        steps
    }

    /// Delivers one job of the in-process queue, as [`plan`](Worker::plan) says, and tells
    /// each sender how its message ended. Messages whose deadline has passed are expired
    /// first; a digest goes by the latest deadline of the messages it merges (none, if one of
    /// them has none).
    pub async fn deliver(&self, job: Job) {
        let now = Instant::now();
        let (expired, live): (Vec<Part>, Vec<Part>) =
            job.parts.into_iter().partition(|p| p.is_expired(now));
        for part in expired {
            self.expire(part, Sent::No);
        }
        if live.is_empty() {
            return;
        }
        let steps = {
            let messages: Vec<&Checked> = live.iter().map(|p| &p.checked).collect();
            self.plan(&messages)
        };
        let mut parts = live.into_iter();
        for step in steps {
            let run: Vec<Part> = parts.by_ref().take(step.count()).collect();
            let result = match &step {
                Step::One => {
                    let part = &run[0];
                    self.deliver_one(&part.checked, &part.msg_uuid, 1, part.deadline)
                        .await
                }
                Step::Merged { digest, .. } => {
                    let msg_uuid = MsgUuid::merged(run.iter().map(|p| &p.msg_uuid));
                    let deadline = latest(run.iter().map(|p| p.deadline));
                    self.deliver_one(digest, &msg_uuid, run.len(), deadline)
                        .await
                }
            };
            self.finish(run, &result);
        }
    }

    /// A message whose deadline passed before it was sent: its sender, the failure hook and
    /// the fallback hear that it expired. `sent`: what its attempts, if any, say.
    pub fn expire(&self, part: Part, sent: Sent) {
        let error = Error::expired(None, sent).with_msg_uuid(part.msg_uuid.as_str());
        tracing::warn!(
            robot = %self.name(),
            msg_uuid = %part.msg_uuid,
            kind = ?error.kind(),
            "not sent by its deadline: taken out of the queue"
        );
        self.finish(vec![part], &Err(error));
    }

    /// Tells each part's sender, and the hook and fallback of each failure.
    fn finish(&self, parts: Vec<Part>, result: &Result<Receipt, Error>) {
        for part in parts {
            if let Err(e) = result {
                self.notify_failure(part.checked.payload(), e);
            }
            // The sender may have stopped waiting: the message was delivered all the same.
            let _ = part.reply.send(result.clone());
        }
    }

    /// Tells the failure hook and the fallback that `payload` finally failed with `error`.
    pub fn notify_failure(&self, payload: &Payload, error: &Error) {
        tell_failure(
            self.name(),
            self.policy.on_failure.as_ref(),
            self.policy.fallback.as_ref(),
            payload,
            error,
        );
    }

    /// Who hears of a message that finally failed, to be told away from the delivering
    /// task ([`Listeners::tell`]); `None` when nobody listens.
    #[cfg(feature = "redis")]
    pub fn listeners(&self) -> Option<Listeners> {
        if self.policy.on_failure.is_none() && self.policy.fallback.is_none() {
            return None;
        }
        Some(Listeners {
            robot: self.name().to_owned(),
            hook: self.policy.on_failure.clone(),
            fallback: self.policy.fallback.clone(),
        })
    }

    /// Messages that can no longer be sent (the last `Robot` and the runtime are gone): the
    /// failure hook hears of each, and each sender still waiting, that it was not sent.
    pub fn abandoned(&self, parts: Vec<Part>) {
        tracing::warn!(
            robot = %self.name(),
            undelivered = parts.len(),
            "messages left in the queue when the robot and its runtime ended"
        );
        for part in parts {
            let error = Error::cancelled().with_msg_uuid(part.msg_uuid.as_str());
            if let Some(hook) = &self.policy.on_failure {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    hook(part.checked.payload(), &error)
                }));
            }
            let _ = part.reply.send(Err(error));
        }
    }

    /// Sends one checked body under its `msgUuid` (which every attempt reuses), carrying
    /// `merged` queued messages: waits for the limit, holds through throttles, retries. The
    /// receipt is made once, from how the delivery ended.
    ///
    /// A limiter whose store cannot be reached ([`ErrorKind::StoreUnavailable`]), or refuses
    /// its credentials ([`Error::is_store_failure`]), ends it at once with that error,
    /// whatever went before: no request is sent without the limit, and the caller decides
    /// what becomes of the message (a shared queue keeps it for later).
    ///
    /// No attempt starts after `deadline`: waiting for the limit, a throttle or a retry ends
    /// there, as [`ErrorKind::Expired`]. (An attempt under way then is answered.)
    ///
    /// The error at the end names `msg_uuid` and says what all the attempts say together of
    /// whether the message was sent.
    pub async fn deliver_one(
        &self,
        checked: &Checked,
        msg_uuid: &MsgUuid,
        merged: usize,
        deadline: Option<Instant>,
    ) -> Result<Receipt, Error> {
        let body = checked.with_msg_uuid(msg_uuid);
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        let mut failures = 0;
        let mut throttles = 0;
        let mut resigned = false;
        // What the attempts so far say of whether the message was sent, and the last one's
        // error.
        let mut sent = Sent::No;
        let mut last: Option<Error> = None;
        let result = loop {
            if deadline.is_some_and(|d| d <= Instant::now()) {
                break Err(Error::expired(last.as_ref(), sent));
            }
            // A robot that fails when throttled sends nothing while a throttle holds.
            if !self.policy.wait_through_throttle {
                let held = self.limiter.held_for();
                if !held.is_zero() {
                    break Err(Error::held(held));
                }
            }
            let wait = Instant::now();
            let acquired = match deadline {
                Some(deadline) => {
                    tokio::time::timeout_at(deadline, InFlight::acquire(&*self.limiter)).await
                }
                None => Ok(InFlight::acquire(&*self.limiter).await),
            };
            let place = match acquired {
                Ok(Ok(place)) => place,
                Ok(Err(e)) if e.is_store_failure() => {
                    tracing::warn!(
                        robot = %self.name(),
                        %msg_uuid,
                        attempts,
                        error = %e,
                        cause = e.causes().as_deref(),
                        "the shared limit cannot be consulted: not sending"
                    );
                    return Err(e.with_msg_uuid(msg_uuid.as_str()));
                }
                // The limiter gave up (no place came free in time, or a throttle another
                // sender was told of holds): nothing went out, and nothing is retried.
                Ok(Err(e)) => {
                    waited += wait.elapsed();
                    break Err(e);
                }
                // The deadline passed while waiting for a place, or a throttle to end.
                Err(_) => {
                    waited += wait.elapsed();
                    break Err(Error::expired(last.as_ref(), sent));
                }
            };
            waited += wait.elapsed();
            attempts += 1;
            let outcome = self.attempt(&body).await;
            place.release();
            let e = match outcome {
                Ok(answered) => break Ok(answered),
                Err(e) => e,
            };
            sent = sent.and(e.was_sent());
            last = Some(e.clone());
            match e.kind() {
                // DingTalk throttles the robot: every send holds for the penalty, and this
                // message waits for it to end (or fails now, if it may not wait).
                ErrorKind::RateLimited if !self.policy.throttle_penalty.is_zero() => {
                    throttles += 1;
                    tracing::info!(
                        robot = %self.name(),
                        %msg_uuid,
                        attempts,
                        errcode = e.errcode(),
                        penalty_s = self.policy.throttle_penalty.as_secs(),
                        "DingTalk throttles the robot: holding every send"
                    );
                    self.limiter.hold(self.policy.throttle_penalty);
                    if !self.policy.wait_through_throttle || throttles > MAX_THROTTLES {
                        break Err(e.with_retry_after(self.policy.throttle_penalty));
                    }
                }
                // Signed afresh on the next attempt; a second refusal means the clock is off.
                ErrorKind::TimestampExpired if !resigned => resigned = true,
                _ => {
                    failures += 1;
                    // Time spent waiting for the limit or a throttle is not time spent failing.
                    let trying = started.elapsed().saturating_sub(waited);
                    match self.policy.retry.backoff(&e, failures, trying) {
                        // The retry would start after the deadline: it expires now.
                        Some(backoff)
                            if deadline.is_some_and(|d| Instant::now() + backoff >= d) =>
                        {
                            break Err(Error::expired(Some(&e), sent));
                        }
                        Some(backoff) => {
                            tracing::debug!(
                                robot = %self.name(),
                                %msg_uuid,
                                attempts,
                                errcode = e.errcode(),
                                kind = ?e.kind(),
                                error = %e,
                                cause = e.causes().as_deref(),
                                backoff_ms = backoff.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(backoff).await;
                        }
                        None => break Err(e),
                    }
                }
            }
        };
        let result = result.map_err(|e| {
            let sent = sent.and(e.was_sent());
            e.with_sent(sent).with_msg_uuid(msg_uuid.as_str())
        });
        match &result {
            Ok(_) => tracing::debug!(
                robot = %self.name(),
                %msg_uuid,
                attempts,
                merged,
                waited_ms = waited.as_millis() as u64,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "delivered"
            ),
            Err(e) => tracing::warn!(
                robot = %self.name(),
                %msg_uuid,
                attempts,
                merged,
                errcode = e.errcode(),
                kind = ?e.kind(),
                sent = ?e.was_sent(),
                error = %e,
                cause = e.causes().as_deref(),
                waited_ms = waited.as_millis() as u64,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "not delivered"
            ),
        }
        result.map(|Answered { accepted, elapsed }| {
            Receipt::new(
                accepted.errmsg,
                elapsed,
                attempts,
                waited,
                merged,
                *msg_uuid,
            )
        })
    }

    /// One request with `body`, and what its answer means.
    async fn attempt(&self, body: &str) -> Result<Answered, Error> {
        let request = self.destination.request(body).await?;
        let answer = self.transport.send(request).await?;
        let accepted = self.destination.classify(answer.status, &answer.body)?;
        Ok(Answered {
            accepted,
            elapsed: answer.elapsed,
        })
    }
}

/// The latest of `deadlines`; `None` if one of them is `None` (or there are none).
pub(crate) fn latest(deadlines: impl Iterator<Item = Option<Instant>>) -> Option<Instant> {
    let mut latest: Option<Instant> = None;
    for deadline in deadlines {
        let deadline = deadline?;
        latest = Some(latest.map_or(deadline, |l| l.max(deadline)));
    }
    latest
}

/// Who hears of a robot's messages that finally failed, owned: for a worker that tells them
/// on a thread of its own, so that a slow hook does not hold up the runtime it delivers on.
#[cfg(feature = "redis")]
pub(crate) struct Listeners {
    robot: String,
    hook: Option<FailureHook>,
    fallback: Option<Arc<dyn Fallback>>,
}

#[cfg(feature = "redis")]
impl Listeners {
    /// Tells the failure hook and the fallback that `payload` finally failed with `error`,
    /// as [`Worker::notify_failure`] does.
    pub fn tell(&self, payload: &Payload, error: &Error) {
        tell_failure(
            &self.robot,
            self.hook.as_ref(),
            self.fallback.as_ref(),
            payload,
            error,
        );
    }
}

/// Tells `hook` and `fallback` that `payload`, sent to `robot`, finally failed with `error`.
fn tell_failure(
    robot: &str,
    hook: Option<&FailureHook>,
    fallback: Option<&Arc<dyn Fallback>>,
    payload: &Payload,
    error: &Error,
) {
    if let Some(hook) = hook {
        // A panicking hook must not stop delivery.
        let called =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(payload, error)));
        if called.is_err() {
            tracing::error!(robot = %robot, "the on_failure hook panicked");
        }
    }
    if let Some(fallback) = fallback {
        let notice = failure_notice(robot, fallback.keyword(), payload, error);
        // Queued on the fallback's own worker, which delivers it; nothing here waits.
        if let Err(e) = fallback.try_post(notice) {
            tracing::warn!(
                robot = %robot,
                error = %e,
                cause = e.causes().as_deref(),
                "the fallback robot could not be told of a failure: notice dropped"
            );
        }
    }
}

/// What the fallback robot is told of a message that finally failed; its title (plain text)
/// carries the fallback's first keyword, if it has some. In its markdown, the robot's name, the
/// error and the preview of the message are plain text, escaped to show as they are; each line
/// of the preview is a quoted line of its own.
fn failure_notice(robot: &str, keyword: Option<&str>, payload: &Payload, error: &Error) -> Payload {
    let preview = payload.with_fields(|fields| {
        let what = fields
            .seen()
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let mut preview: String = what.chars().take(200).collect();
        if preview.len() < what.len() {
            preview.push('…');
        }
        preview
    });
    let title = match keyword {
        Some(keyword) => format!("[{keyword}] A message to {robot} was not delivered"),
        None => format!("A message to {robot} was not delivered"),
    };
    let mut text = String::with_capacity(128 + robot.len() + preview.len() * 2);
    text.push_str("#### A message to ");
    // On one line: a line ending would end the heading.
    let name = robot.replace("\r\n", " ").replace(['\r', '\n'], " ");
    markdown::escape_into(&mut text, &name, Newlines::Break);
    text.push_str(" was not delivered\n\n- error: ");
    markdown::escape_into(&mut text, &error.to_string(), Newlines::Break);
    text.push_str("\n- type: ");
    text.push_str(payload.msgtype().as_str());
    text.push_str("\n\n");
    // `"  \n"` breaks the line where a lone `\n` would not.
    let lines = preview.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in lines.split('\n').enumerate() {
        if i > 0 {
            text.push_str("  \n");
        }
        text.push_str("> ");
        markdown::escape_into(&mut text, line, Newlines::Break);
    }
    // Its line breaks are made above.
    Markdown::with_newlines(title, text, Newlines::Preserve).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice_text(robot: &str, payload: impl Into<Payload>, error: &Error) -> String {
        let Payload::Markdown(m) = failure_notice(robot, Some("ops"), &payload.into(), error)
        else {
            panic!("a notice is markdown")
        };
        assert_eq!(
            m.title(),
            format!("[ops] A message to {robot} was not delivered")
        );
        m.text().to_owned()
    }

    #[test]
    fn a_notice_shows_the_name_the_error_and_each_line_of_the_preview_as_they_are() {
        let error = Error::from_answer(400_106, "*机器人* [不存在](https://evil)\n# x".into());
        let text = notice_text(
            "alerts_1\n# [x](https://evil)",
            Payload::text("disk *full*\n# on db_1\r\n1. now\n<b>"),
            &error,
        );
        assert_eq!(
            text,
            [
                r"#### A message to alerts\_1 # \[x\](https://evil) was not delivered",
                "",
                r"- error: the robot does not exist (errcode 400106: \*机器人\* \[不存在\](https://evil)  ",
                r"\# x)",
                "- type: text",
                "",
                r"> disk \*full\*  ",
                r"> \# on db\_1  ",
                r"> 1\. now  ",
                "> &lt;b&gt;",
            ]
            .join("\n")
        );
    }

    #[test]
    fn a_long_preview_is_cut() {
        let error = Error::cancelled();
        let text = notice_text("a", Payload::markdown("t", "x".repeat(300)), &error);
        assert!(text.ends_with("\n\n> t"), "{text}");
        let long = "y".repeat(300);
        let text = notice_text("a", Payload::text(long), &error);
        assert!(text.ends_with(&format!("> {}…", "y".repeat(200))), "{text}");
    }
}
