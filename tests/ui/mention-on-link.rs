use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(link(title = "Build {n}", text = "done", message_url = "https://ci.example.com/{n}"))]
struct Build {
    n: u32,
    #[dingtalk(at_mobiles)]
    oncall: Vec<String>,
}

#[derive(Message)]
#[dingtalk(action_card(title = "Leave", text = "leave"), at_all)]
#[dingtalk(button(title = "Approve", url = "https://hr.example.com/approve"))]
struct LeaveRequest;

fn main() {}
