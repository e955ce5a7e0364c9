use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "CPU {cpu:width$}% on {host:.*}"))]
struct CpuHigh {
    cpu: f64,
    host: String,
    width: usize,
}

fn main() {}
