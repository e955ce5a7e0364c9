use dingtalk_bot::markdown;

fn main() {
    let template = "### {service}";
    let _ = markdown!(template);
    let _ = markdown!("### {service}", "more");
    let _ = markdown!();
}
