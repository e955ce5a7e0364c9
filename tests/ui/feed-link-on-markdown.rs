use dingtalk_bot::{FeedLink, Message};

#[derive(Message)]
#[dingtalk(markdown(title = "News", text = "see the links"))]
#[dingtalk(feed_link(title = "Notes", message_url = "https://example.com/notes"))]
struct News;

#[derive(Message)]
#[dingtalk(action_card(title = "News", text = "see the links"))]
#[dingtalk(button(title = "Open", url = "https://example.com"))]
struct Card {
    #[dingtalk(feed_links)]
    links: Vec<FeedLink>,
}

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(button(title = "Open", url = "https://example.com"))]
struct Feed;

fn main() {}
