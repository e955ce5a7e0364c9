use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "disk full on {host}"))]
struct DiskFull {
    host: String,
}

#[derive(Message)]
#[dingtalk(pc_slide = true)]
enum Alert {
    #[dingtalk(transparent, text(content = "disk"))]
    Disk(DiskFull),
    #[dingtalk(transparent, at_all)]
    Full { inner: DiskFull },
    #[dingtalk(transparent)]
    Two(DiskFull, DiskFull),
    #[dingtalk(transparent)]
    Flagged {
        #[dingtalk(raw)]
        inner: DiskFull,
    },
    #[dingtalk(link(title = "t", text = "x", message_url = "https://example.com"))]
    Link,
}

#[derive(Message)]
#[dingtalk(transparent)]
enum Wrapper {
    #[dingtalk(text(content = "x"))]
    X,
}

#[derive(Message)]
enum Tuple {
    #[dingtalk(text(content = "{0}"))]
    Disk(DiskFull),
}

fn main() {}
