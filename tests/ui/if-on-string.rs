use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{#if note}note: {note}{/if}"))]
struct Leave {
    note: String,
}

fn main() {}
