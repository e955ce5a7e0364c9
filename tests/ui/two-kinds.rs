use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{service} deployed"))]
#[dingtalk(markdown(title = "Deploy", text = "**{service}** deployed"))]
struct Deployed {
    service: String,
}

fn main() {}
