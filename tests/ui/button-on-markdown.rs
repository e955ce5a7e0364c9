use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Leave", text = "{who} asks for leave"))]
#[dingtalk(button(title = "Approve", url = "https://hr.example.com/approve"))]
struct LeaveRequest {
    who: String,
}

fn main() {}
