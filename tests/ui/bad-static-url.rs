use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(action_card(title = "Leave", text = "leave"))]
#[dingtalk(button(title = "Approve", url = "hr.example.com/approve"))]
#[dingtalk(button(title = "Reject", url = "ftp://hr.example.com/{id}"))]
#[dingtalk(button(title = "Later", url = "hr.example.com/later/{id}"))]
struct LeaveRequest {
    id: u32,
}

fn main() {}
