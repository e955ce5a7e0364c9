use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "disk full on {host}"), prefix = "")]
struct DiskFull {
    host: String,
}

#[derive(Message)]
#[dingtalk(text(content = "cpu high"), prefix = "  ")]
struct CpuHigh;

#[derive(Message)]
#[dingtalk(text(content = "x"), prefix = "[ops] ", prefix = "[dev] ")]
struct Twice;

#[derive(Message)]
#[dingtalk(text(content = "x"), prefix = ops)]
struct NotAString;

#[derive(Message)]
#[dingtalk(prefix = "[ops] ")]
enum Alert {
    #[dingtalk(transparent, prefix = "[disk] ")]
    Disk(DiskFull),
    #[dingtalk(text(content = "heartbeat"))]
    Heartbeat,
}

#[derive(Message)]
#[dingtalk(transparent, prefix = "[ops] ")]
struct Wrapped(DiskFull);

fn main() {}
