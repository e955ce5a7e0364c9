use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Report", text = "### Report\n\n---\n\n{body}"))]
struct Report {
    body: String,
}

fn main() {}
