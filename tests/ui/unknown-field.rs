use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy {sevice}", text = "{service} is {status}"))]
struct Deployed {
    service: String,
    status: String,
}

fn main() {}
