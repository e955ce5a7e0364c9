use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Leave", text = "{who}", path = "templates/leave.md"))]
struct LeaveRequest {
    who: String,
}

fn main() {}
