use dingtalk_bot::Message;

struct Article {
    title: String,
    url: String,
}

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(feed_link(each = "articles", title = "news", message_url = "https://example.com"))]
#[dingtalk(feed_link(each = "article as a", title = "{a.title}", message_url = "{a.url}"))]
#[dingtalk(feed_link(each = "articles as a", title = "{b.title}", message_url = "{a.url}"))]
struct Digest {
    articles: Vec<Article>,
}

#[derive(Message)]
#[dingtalk(action_card(title = "Pick", text = "pick one"))]
#[dingtalk(button(each = "choices as c.x", title = "{c}", url = "https://example.com/{c}"))]
struct Pick {
    choices: Vec<String>,
}

fn main() {}
