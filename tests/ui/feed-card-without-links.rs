use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(feed_card)]
struct Digest {
    articles: Vec<String>,
}

#[derive(Message)]
#[dingtalk(feed_card(title = "News"))]
#[dingtalk(feed_link(title = "Notes", message_url = "https://example.com/notes"))]
struct Titled;

fn main() {}
