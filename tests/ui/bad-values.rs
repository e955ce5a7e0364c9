use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(action_card(title = "Leave", text = "leave", hide_avatar = "yes"), newlines = "keep")]
#[dingtalk(button(title = "Open", url = "https://hr.example.com"))]
#[dingtalk(crate = "not a path", allow_unrendered_markdown = true)]
struct LeaveRequest;

fn main() {}
