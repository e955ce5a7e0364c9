use dingtalk_bot::{Button, Message};

#[derive(Message)]
#[dingtalk(markdown(title = "Pick", text = "choose"))]
struct Pick {
    #[dingtalk(buttons)]
    choices: Vec<Button>,
}

fn main() {}
