use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(action_card(title = "Leave", text = "leave", hide_avatar = "yes"), newlines = "keep")]
#[dingtalk(button(title = "Open", url = "https://hr.example.com"))]
#[dingtalk(crate = "not a path", at_all = true)]
struct LeaveRequest;

fn main() {}
