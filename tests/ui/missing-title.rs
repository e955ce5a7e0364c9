use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(text = "**{service}** deployed"))]
struct Deployed {
    service: String,
}

fn main() {}
