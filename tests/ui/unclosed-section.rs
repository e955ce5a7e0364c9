use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{#if note}note: {note}"))]
struct Leave {
    note: Option<String>,
}

fn main() {}
