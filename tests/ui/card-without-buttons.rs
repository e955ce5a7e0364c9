use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(action_card(title = "Leave request", text = "{who} asks for leave"))]
struct LeaveRequest {
    who: String,
}

fn main() {}
