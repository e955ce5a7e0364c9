use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy", text = "done", colour = "red"))]
#[dingtalk(priority = "high")]
struct Deployed {
    #[dingtalk(at_mobile)]
    oncall: Vec<String>,
}

fn main() {}
