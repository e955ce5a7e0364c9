use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "{#if a}A{#else if b}B{/if} {#for x in xs}{x}{/for} {} {#each xs in ys}{/each}"))]
struct Sections {
    a: bool,
    b: bool,
    xs: Vec<String>,
}

fn main() {}
