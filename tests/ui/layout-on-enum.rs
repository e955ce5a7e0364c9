use dingtalk::Message;

#[derive(Message)]
#[dingtalk(text(content = "alert"))]
enum Alert {
    #[dingtalk(text(content = "firing"), crate = "dingtalk")]
    Firing,
}

fn main() {}
