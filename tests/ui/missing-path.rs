use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Leave", path = "templates/no-such-file.md"))]
struct LeaveRequest {
    who: String,
}

fn main() {}
