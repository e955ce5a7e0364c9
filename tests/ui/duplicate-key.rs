use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy", title = "Again", text = "done"))]
struct Deployed {
    #[dingtalk(at_mobiles, at_mobiles)]
    oncall: Vec<String>,
}

fn main() {}
