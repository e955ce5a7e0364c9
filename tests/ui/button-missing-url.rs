use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(action_card(title = "Leave", text = "leave"))]
#[dingtalk(button(title = "Approve"))]
struct LeaveRequest;

fn main() {}
