//! The library's log on standard error, one line per event, as this tool's own lines are
//! written: `dingtalk: warning: the shared rate-limit state is not what this library writes:
//! replaced with a fresh one (path: …, error: …)`.
//!
//! Warnings and errors are shown unless `RUST_LOG` says otherwise (`RUST_LOG=debug`,
//! `RUST_LOG=dingtalk_core=info`, `RUST_LOG=off`): those of the shared limit (a state file
//! replaced or unusable, no state directory). Not those of delivery itself, which say how a
//! message ended (the command says it once, as its failure line and exit status) or speak of
//! what this tool does not use (hooks, fallbacks, digests), nor those of the worker that
//! delivers a robot's queue kept in Redis for the fleet (a Redis out of reach is this
//! command's failure). Only the dingtalk crates' events are ever shown: the library logs no
//! secret, but other crates' events may quote a webhook or a Redis URL whole.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{FilterExt as _, Targets, filter_fn};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The prefix of every target shown: `dingtalk_core`, `dingtalk_bot`, `dingtalk_sandbox`.
const OURS: &str = "dingtalk";

/// Delivery, and the Redis queue's worker, whose warnings are not shown unless asked for.
const QUIET: [&str; 2] = [
    "dingtalk_core::delivery::worker",
    "dingtalk_core::delivery::fleet",
];

/// Shows the library's log on standard error, filtered by `rust_log` (`RUST_LOG`'s value).
pub fn init(rust_log: Option<&str>) {
    let warnings = || {
        Targets::new()
            .with_target(OURS, Level::WARN)
            .with_targets(QUIET.map(|target| (target, Level::ERROR)))
    };
    let targets = match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        None => warnings(),
        Some(directives) => directives.parse::<Targets>().unwrap_or_else(|e| {
            eprintln!(
                "dingtalk: warning: RUST_LOG is not `target=level,…` ({e}): showing warnings only"
            );
            warnings()
        }),
    };
    let ours = filter_fn(|metadata| metadata.target().starts_with(OURS));
    let layer = tracing_subscriber::fmt::layer()
        .event_format(Line)
        .with_writer(std::io::stderr)
        .with_filter(targets.and(ours));
    // Only fails if a subscriber is set already: there is none.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// One event as one line: `dingtalk: <level>: <message> (<field>: <value>, …)`.
struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writeln!(writer, "{}", line(event))
    }
}

fn line(event: &Event<'_>) -> String {
    let level = match *event.metadata().level() {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    };
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut line = format!("dingtalk: {level}: {}", fields.message);
    if !fields.rest.is_empty() {
        let _ = write!(line, " ({})", fields.rest.join(", "));
    }
    // One line, whatever a value holds.
    line.replace(['\n', '\r'], " ")
}

/// An event's message, and its other fields as `name: value`.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.rest.push(format!("{}: {value}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_event_is_one_line_prefixed_like_the_tools_own() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(Line)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let path = std::path::Path::new("/state/limits/ab.json");
            tracing::warn!(path = %path.display(), error = "expected value\nat line 1", "state replaced");
            tracing::error!(robot = "oapi.dingtalk.com", "the hook panicked");
            tracing::info!("no fields");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "dingtalk: warning: state replaced (path: /state/limits/ab.json, error: expected value at line 1)\n\
             dingtalk: error: the hook panicked (robot: oapi.dingtalk.com)\n\
             dingtalk: info: no fields\n"
        );
    }
}
