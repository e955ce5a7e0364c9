use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "disk full"))]
struct DiskFull {
    #[dingtalk(at_mobiles)]
    oncall: u64,
}

fn main() {}
