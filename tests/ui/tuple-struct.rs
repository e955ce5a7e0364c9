use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{0}"))]
struct Tuple(String);

fn main() {}
