use dingtalk_bot::Message;

struct NotAMessage;

#[derive(Message)]
enum Alert {
    #[dingtalk(transparent)]
    Other(NotAMessage),
}

fn main() {}
