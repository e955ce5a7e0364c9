use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(markdown(title = "Report", text = "| check | result |\n|---|---|\n| unit | {unit} |"))]
struct Report {
    unit: String,
}

fn main() {}
