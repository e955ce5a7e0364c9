use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(link(title = "Build", text = "done", message_url = "https://ci.example.com"))]
#[dingtalk(at_user_ids = "manager01", at_all = true)]
struct Build;

#[derive(Message)]
#[dingtalk(feed_card, at_mobiles = "13800000000")]
#[dingtalk(feed_link(title = "Notes", message_url = "https://example.com/notes"))]
struct Digest;

#[derive(Message)]
#[dingtalk(at_all)]
enum Alert {
    #[dingtalk(text(content = "firing"))]
    Firing,
    #[dingtalk(action_card(title = "Ack", text = "ack it"))]
    #[dingtalk(button(title = "Ack", url = "https://example.com/ack"))]
    Ack,
}

fn main() {}
