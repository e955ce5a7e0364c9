use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "alert"))]
enum Alert {
    #[dingtalk(text(content = "firing"), crate = "dingtalk_bot")]
    Firing,
}

fn main() {}
