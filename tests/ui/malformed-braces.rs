use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "CPU {cpu% on host}}"))]
struct CpuHigh {
    cpu: f64,
}

fn main() {}
