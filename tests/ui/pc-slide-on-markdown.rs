use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy", text = "[logs](https://ci.example.com)"), pc_slide = true)]
struct Deployed;

fn main() {}
