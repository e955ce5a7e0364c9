use dingtalk_bot::markdown;

fn main() {
    let (host, cpu, command) = ("db-1", 97, "cargo test");
    let _ = markdown!("| host | cpu |\n|---|---|\n| {host} | {cpu} |");
    let _ = markdown!("~~{host}~~ is gone");
    let _ = markdown!("run `{command}` again");
}
