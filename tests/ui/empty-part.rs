use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "", text = "**{service}** deployed"))]
struct Deployed {
    service: String,
}

fn main() {}
