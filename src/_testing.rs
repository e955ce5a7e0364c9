//! # Testing your notifications
//!
//! A guide, not an API: how an application tests the messages it sends, with nothing but
//! `cargo test` and no access to DingTalk. Three layers, cheapest first:
//!
//! 1. [snapshots](#1-snapshots-of-what-a-notification-renders) of what each notification
//!    renders, with no network at all;
//! 2. [the sandbox](#2-the-sandbox-in-your-own-tests) in your own tests: a local DingTalk
//!    endpoint that enforces every rule, reached over real HTTP;
//! 3. [rate limits](#3-rate-limits-in-tests), scaled down, or lived through in an instant on
//!    a paused clock.
//!
//! Every example below runs as a test of this crate.
//!
//! ```toml
//! [dev-dependencies]
//! # The library alone: the default feature `cli` is the sandbox's own program.
//! dingtalk-sandbox = { version = "0.1", default-features = false }
//! insta = { version = "1", features = ["json"] }
//! tokio = { version = "1", features = ["macros", "rt", "test-util"] }
//! ```
//!
//! ## 1. Snapshots of what a notification renders
//!
//! [`Message::to_payload`](crate::Message::to_payload) is the message a type renders, and
//! [`Message::to_json`](crate::Message::to_json) the body a robot sends (less the `msgUuid`
//! it adds). Snapshot them with [insta](https://insta.rs): a change to a template, a field or
//! the escaping shows as a diff to review (`cargo insta review`), not as a failed `assert_eq!`
//! on a long line of JSON. [`Payload`](crate::Payload)'s accessors pick out the parts:
//! [`title`](crate::Payload::title), [`content`](crate::Payload::content) (the text or
//! markdown, as built: line breaks made, mentions added),
//! [`at_mobiles`](crate::Payload::at_mobiles), [`as_markdown`](crate::Payload::as_markdown)
//! and the other `as_…`.
//!
//! The markdown snapshot is the one to read; the JSON one is exact (the markdown's line
//! breaks, two spaces before `\n`, show there as `"  \n"`). `tests/snapshots.rs` in this
//! crate's repository keeps the same two in files under `tests/snapshots/`; here they are
//! inline.
//!
//! ```
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(
//!     title = "Deploy {service}: {status}",
//!     text = "### {service} {version}\n- status: **{status}**\n- by: {author}",
//! ))]
//! struct Deployed {
//!     service: String,
//!     version: String,
//!     status: String,
//!     author: String,
//!     #[dingtalk(at_mobiles)]
//!     oncall: Vec<String>,
//! }
//!
//! # fn main() {
//! let deployed = Deployed {
//!     service: "billing".into(),
//!     version: "v2.4".into(),
//!     status: "ok".into(),
//!     author: "*mallory*".into(), // escaped: shown as written, not as emphasis
//!     oncall: vec!["13800000000".into()],
//! };
//! let payload = deployed.to_payload();
//! assert_eq!(payload.title(), Some("Deploy billing: ok"));
//! assert_eq!(payload.at_mobiles(), ["13800000000"]);
//! insta::assert_snapshot!(payload.content().unwrap().replace("  \n", "\n"), @r"
//! #### billing v2.4
//! - status: **ok**
//! - by: \*mallory\*
//! ");
//! insta::assert_json_snapshot!(payload, @r####"
//! {
//!   "msgtype": "markdown",
//!   "markdown": {
//!     "title": "Deploy billing: ok",
//!     "text": "### billing v2.4  \n- status: **ok**  \n- by: \\*mallory\\*\n\n@13800000000"
//!   },
//!   "at": {
//!     "atMobiles": [
//!       "13800000000"
//!     ]
//!   }
//! }
//! "####);
//! // The same body as a string, for an `assert_eq!`.
//! assert!(deployed.to_json().starts_with(r#"{"msgtype":"markdown","markdown":{"title":"Deploy"#));
//! # }
//! ```
//!
//! (The inline markdown snapshot above drops the two spaces before each line break, so that
//! the source holds no trailing white space; a snapshot file keeps them as they are.)
//!
//! ## 2. The sandbox in your own tests
//!
//! [`dingtalk_sandbox::Sandbox`](https://docs.rs/dingtalk-sandbox) is a DingTalk
//! custom-robot endpoint on a loopback port that answers as DingTalk does: the signature, the
//! keywords, the size, each type's required fields and the rate limit, with DingTalk's own
//! `errcode`s. A test starts one, gives the code under test a robot for it, and reads what
//! arrived:
//!
//! - `sandbox.robot_builder()` is a [`RobotBuilder`](crate::RobotBuilder) holding the
//!   sandbox's webhook, secret, keywords and rate limit: `sandbox.robot_builder().build()?`
//!   is a robot that behaves towards the sandbox as yours does towards DingTalk;
//! - `sandbox.wait_for(n, timeout)` waits until the sandbox holds `n` messages and returns
//!   them all. Use it whenever the code under test [`post`](crate::Robot::post)s (queues)
//!   rather than [`send`](crate::Robot::send)s, since the message then arrives after the call
//!   returns. When time runs out its error says how many arrived and what the sandbox
//!   refused, with the `errcode`: usually the reason;
//! - `sandbox.next_received()` returns each accepted message once, in order, whether it
//!   arrived before the call or after: for a test that follows a conversation step by step;
//! - `sandbox.received()` is everything held now, and `sandbox.fail_next(n, fault)` plays a
//!   failure (a 5xx, a dropped connection, any `errcode`) to test how your code copes.
//!
//! ```
//! use std::time::Duration;
//!
//! use dingtalk_bot::{Payload, Robot};
//! use dingtalk_sandbox::Sandbox;
//!
//! /// The code under test: it queues its notice and moves on.
//! async fn finish_backup(robot: &Robot, gigabytes: u32) -> Result<(), dingtalk_bot::Error> {
//!     let notice = Payload::markdown("backup done", format!("backup done: **{gigabytes} GB**"));
//!     drop(robot.post(&notice).await?); // delivered in the background
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder().secret("SECtest").keywords(["backup"]).start().await?;
//! let robot = sandbox.robot_builder().build()?;
//!
//! finish_backup(&robot, 42).await?;
//!
//! let received = sandbox.wait_for(1, Duration::from_secs(5)).await?;
//! let message = received[0].payload();
//! assert_eq!(message.title(), Some("backup done"));
//! assert_eq!(message.content(), Some("backup done: **42 GB**"));
//! assert!(received[0].msg_uuid().is_some()); // one per message, reused by its retries
//! # Ok(()) }
//! ```
//!
//! A message the sandbox refuses never arrives, and the wait says why:
//!
//! ```
//! # use std::time::Duration;
//! # use dingtalk_bot::{Payload, Robot};
//! # use dingtalk_sandbox::Sandbox;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder().keywords(["backup"]).start().await?;
//! // Built by hand without the keyword, so that the sandbox, not the robot, refuses.
//! let robot = Robot::builder(sandbox.webhook_url()).build()?;
//! drop(robot.post(&Payload::text("all done")).await?);
//!
//! let e = sandbox.wait_for(1, Duration::from_millis(300)).await.unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "waited 300ms for 1 message; the sandbox accepted 0; the latest it refused: \
//!      `POST /robot/send 200 errcode=310000 keywords not in content`",
//! );
//! # Ok(()) }
//! ```
//!
//! Each test starts its own sandbox, on a port of its own: tests run in parallel and never
//! see each other's messages. A sandbox stops when dropped.
//!
//! ### Configuration without `set_var`
//!
//! A program that reads its robot from the environment
//! ([`Robot::from_env`](crate::Robot::from_env): `DINGTALK_WEBHOOK`, `DINGTALK_SECRET`,
//! `DINGTALK_KEYWORDS`) need not have its tests change the environment, which is `unsafe` (it
//! races with every thread that reads it). Read the settings through
//! [`Robot::from_lookup`](crate::Robot::from_lookup) instead, given `std::env::var` in the
//! program and the sandbox's settings in tests.
//! [`Robot::from_env_prefixed("OPS")`](crate::Robot::from_env_prefixed) reads
//! `OPS_DINGTALK_WEBHOOK` and so on, for a second robot.
//!
//! ```
//! use dingtalk_bot::{Payload, Robot};
//! use dingtalk_sandbox::Sandbox;
//!
//! /// The program's configuration: the environment in production, anything in tests.
//! fn alerts_robot(
//!     lookup: impl FnMut(&str) -> Option<String>,
//! ) -> Result<Robot, dingtalk_bot::Error> {
//!     Robot::from_lookup(lookup)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder().secret("SECtest").start().await?;
//! let robot = alerts_robot(|name| match name {
//!     "DINGTALK_WEBHOOK" => Some(sandbox.webhook_url()),
//!     "DINGTALK_SECRET" => Some("SECtest".to_owned()),
//!     _ => None,
//! })?;
//! robot.send(&Payload::text("disk full")).await?;
//! assert_eq!(sandbox.next_received().await.payload().content(), Some("disk full"));
//! // In `main`: alerts_robot(|name| std::env::var(name).ok())
//! # Ok(()) }
//! ```
//!
//! ## 3. Rate limits in tests
//!
//! DingTalk allows 20 messages a minute and throttles a robot that sends more for 10
//! minutes; the sandbox does the same by default, and so does a robot. A test has three ways
//! to live with that.
//!
//! **Turn it off** where the limit is not what is tested: `Sandbox::builder().no_rate_limit()`,
//! and `robot_builder` then gives a robot without one too.
//!
//! **Scale it down**: the same 20, in a window of 100 ms. `robot_builder` gives the robot the
//! sandbox's limit, so the robot waits for its places as it would for DingTalk's, and the
//! test takes a fraction of a second. A penalty of an hour makes one broken window fail the
//! test, where the 10 minutes might end unnoticed.
//!
//! ```
//! use std::time::Duration;
//!
//! use dingtalk_bot::Payload;
//! use dingtalk_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder()
//!     .rate_limit(20, Duration::from_millis(100))
//!     .penalty(Duration::from_secs(3600))
//!     .start()
//!     .await?;
//! let robot = sandbox.robot_builder().build()?;
//! for i in 0..30 {
//!     drop(robot.post(&Payload::text(format!("step {i}"))).await?);
//! }
//! sandbox.wait_for(30, Duration::from_secs(5)).await?; // 30 in two windows
//! assert!(!sandbox.is_throttled());
//! # Ok(()) }
//! ```
//!
//! **Pause the clock** to keep DingTalk's real numbers: `#[tokio::test(start_paused = true)]`
//! (tokio's feature `test-util`). The robot and the sandbox both keep time on tokio's clock,
//! which then jumps to the next timer whenever the runtime has nothing else to do, so minutes
//! of waiting for the limit pass in milliseconds:
//!
//! ```
//! use std::time::Duration;
//!
//! use dingtalk_bot::Payload;
//! use dingtalk_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // #[tokio::test(start_paused = true)]
//! let sandbox = Sandbox::builder().start().await?; // DingTalk's 20 a minute
//! let robot = sandbox.robot_builder().build()?;
//! let start = tokio::time::Instant::now();
//! for i in 0..25 {
//!     drop(robot.post(&Payload::text(format!("step {i}"))).await?);
//! }
//! sandbox.wait_for(25, Duration::from_secs(5)).await?;
//! assert!(start.elapsed() >= Duration::from_secs(60)); // on tokio's clock; a moment in fact
//! assert!(!sandbox.is_throttled());
//! # Ok(()) }
//! ```
//!
//! What to know about a paused clock:
//!
//! - **Timeouts on tokio's clock end early.** `tokio::time::timeout(Duration::from_secs(5),
//!   …)` ends as soon as the runtime is idle and the clock jumps past it, even while the robot
//!   is only waiting (on the same clock) for a place in the limit 60 s away. `wait_for`'s
//!   timeout is on the wall clock for that reason; wrap `next_received` in a
//!   `tokio::time::timeout` only where no such wait is expected.
//! - **The sandbox must run on the test's runtime** (start it inside the test, as above). The
//!   clock jumps whenever the runtime is idle, and while a request is with a server on
//!   another runtime or thread this runtime is idle: the robot's request timeout (10 s) may
//!   end at once. A request on loopback to a server on the same runtime is ready at once, so
//!   the clock does not jump in the middle of it.
//! - `start_paused` needs the current-thread runtime (the default of `#[tokio::test]`).
//! - A limit shared between processes
//!   ([`share_limit_on_this_machine`](crate::RobotBuilder::share_limit_on_this_machine),
//!   `.redis(url)`) keeps time on the wall clock, as processes share no other: a paused clock
//!   does not speed it up. Test those with a scaled limit.
//! - The times the sandbox records (`Received::received_at`) and signatures' timestamps are
//!   on the wall clock too.
