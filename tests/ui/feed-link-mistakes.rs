use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(feed_link(title = "Notes {version}"))]
#[dingtalk(feed_link(title = "Notes", url = "https://example.com/notes"))]
#[dingtalk(feed_link(title = "", message_url = "example.com/notes/{version}"))]
#[dingtalk(feed_link(title = "{verison}", message_url = "https://example.com", pic_url = "ftp://example.com/p.png"))]
struct Digest {
    version: String,
}

fn main() {}
