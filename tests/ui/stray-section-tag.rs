use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{#each items as item}{item}{/if}"))]
struct List {
    items: Vec<String>,
}

fn main() {}
