use dingtalk_bot::markdown;

fn main() {
    let service = "billing";
    let _ = markdown!("### {sevice} is live");
}
