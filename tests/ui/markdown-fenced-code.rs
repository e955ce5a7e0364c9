use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Panic", text = "```\n{backtrace}\n```"))]
struct Panic {
    backtrace: String,
}

// The opt-out: the same layout compiles when the type asks for it, and the value in the fence
// is written as it is.
#[derive(Message)]
#[dingtalk(markdown(title = "Panic", text = "```\n{backtrace}\n```"))]
#[dingtalk(allow_unrendered_markdown)]
struct PanicDesktopOnly {
    #[dingtalk(raw)]
    backtrace: String,
}

fn main() {}
