use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{#if urgent}URGENT {/if}{#each hosts as h}{host}{/each}"))]
struct Alert {
    hosts: Vec<String>,
}

fn main() {}
