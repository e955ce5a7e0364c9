use dingtalk_bot::Message;

// Escapes show literally in code: a value there is refused unless it is written as it is.
#[derive(Message)]
#[dingtalk(markdown(title = "Upgrade", text = "run `cargo install tool@{version}` to upgrade"))]
struct Upgrade {
    version: String,
}

#[derive(Message)]
#[dingtalk(action_card(title = "Panic", text = "in {job}:\n\n```\n{backtrace}\n```"), allow_unrendered_markdown)]
#[dingtalk(button(title = "Logs", url = "https://ci.example.com/{job}"))]
struct Panic {
    job: String,
    backtrace: String,
}

// The opt-out: raw values are the user's to keep well formed, in code or not; a loop variable
// over a raw field is raw too.
#[derive(Message)]
#[dingtalk(markdown(title = "Run", text = "run `{command}`, then {#each steps as step}`{step}` {/each}"))]
struct Trusted {
    #[dingtalk(raw)]
    command: String,
    #[dingtalk(raw)]
    steps: Vec<String>,
}

fn main() {}
