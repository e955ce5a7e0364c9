use dingtalk_bot::Message;

#[derive(Message)]
struct Deployed {
    service: String,
}

#[derive(Message)]
enum Alert {
    #[dingtalk(text(content = "firing"))]
    Firing,
    Resolved,
}

fn main() {}
