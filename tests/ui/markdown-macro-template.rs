use dingtalk_bot::markdown;

fn main() {
    let (cpu, host, items) = (97.5, "db-1", vec![1, 2]);
    // Every mistake of a template is reported, and the `String` it stands for still types.
    let text: String = markdown!("on {host% and} {} {#each items as self}{/each} {#if host}");
    drop(text);
    let _ = markdown!("CPU {cpu:.*}% on {host}");
    let _ = markdown!("{#each items as item}{item}{/if}");
}
