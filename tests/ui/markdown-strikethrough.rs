use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Plan", text = "- ~~old plan~~ {plan}"))]
struct Plan {
    plan: String,
}

fn main() {}
