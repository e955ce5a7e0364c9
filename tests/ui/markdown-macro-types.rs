use dingtalk_bot::markdown;

struct NotShown;

fn main() {
    let (note, count, value) = (String::from("x"), 3_u32, NotShown);
    let _ = markdown!("{#if note}note: {note}{/if}");
    let _ = markdown!("{#each count as n}{n}{/each}");
    let _ = markdown!("{value}");
}
