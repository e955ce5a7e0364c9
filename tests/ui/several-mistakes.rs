use dingtalk_bot::Message;

// Every mistake of one derive is reported at once, and the type still implements `Message`,
// so `main` below adds no error of its own.
#[derive(Message)]
#[dingtalk(action_card(title = "Leave from {whom}", text = "{days} days\n\n---", orientation = "diagonal"))]
#[dingtalk(button(title = "Approve", url = "{approve_url"))]
struct LeaveRequest {
    who: String,
    days: u32,
    approve_url: String,
    #[dingtalk(at_all)]
    everyone: bool,
}

fn main() {
    let leave = LeaveRequest { who: String::new(), days: 1, approve_url: String::new(), everyone: false };
    let _ = leave.to_payload();
}
