//! The cost of a derived message: rendering and serializing a markdown notification, beside
//! the same message written by hand with `format!` + `serde_json`, and beside a runtime
//! template engine (minijinja) doing the same work.
//!
//! `cargo bench --bench render`

use std::fmt;

use criterion::{Criterion, criterion_group, criterion_main};
use dingtalk_bot::Message;
use std::hint::black_box;

#[derive(Clone, Copy, serde::Serialize)]
enum Status {
    #[serde(rename = "succeeded")]
    Ok,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "succeeded",
        })
    }
}

#[derive(Message, serde::Serialize)]
#[dingtalk(markdown(
    title = "Deploy {service}: {status}",
    text = "### {service} {version}\n- status: **{status}**\n- by: {author}\n- took: {secs:.1}s\n- [logs]({logs_url})",
))]
struct Deployed {
    service: String,
    version: String,
    status: Status,
    author: String,
    secs: f64,
    logs_url: String,
    #[dingtalk(at_mobiles)]
    oncall: Vec<String>,
}

fn deployed() -> Deployed {
    Deployed {
        service: "billing-api".into(),
        version: "v2.4.1".into(),
        status: Status::Ok,
        author: "Alice Chen".into(),
        secs: 93.42,
        logs_url: "https://ci.example.com/runs/123456/logs".into(),
        oncall: vec!["13800000000".into()],
    }
}

/// What people write today: `format!` and `serde_json::json!`, no escaping, the mention put in
/// by hand.
fn by_hand(d: &Deployed) -> String {
    let title = format!("Deploy {}: {}", d.service, d.status);
    let text = format!(
        "### {} {}  \n- status: **{}**  \n- by: {}  \n- took: {:.1}s  \n- [logs]({})\n\n@{}",
        d.service, d.version, d.status, d.author, d.secs, d.logs_url, d.oncall[0]
    );
    serde_json::json!({
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
        "at": {"atMobiles": d.oncall},
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let d = deployed();
    let value = |json: String| serde_json::from_str::<serde_json::Value>(&json).unwrap();
    let expected = value(by_hand(&d));
    assert_eq!(
        value(d.to_payload().to_json()),
        expected,
        "all must do the same work"
    );

    let mut env = minijinja::Environment::new();
    env.add_template("title", "Deploy {{ service }}: {{ status }}")
        .unwrap();
    env.add_template(
        "text",
        "### {{ service }} {{ version }}  \n- status: **{{ status }}**  \n- by: {{ author }}  \n- took: {{ '%.1f' | format(secs) }}s  \n- [logs]({{ logs_url }})\n\n@{{ oncall[0] }}",
    )
    .unwrap();
    let jinja = |d: &Deployed| {
        let ctx = minijinja::Value::from_serialize(d);
        let title = env.get_template("title").unwrap().render(&ctx).unwrap();
        let text = env.get_template("text").unwrap().render(&ctx).unwrap();
        serde_json::json!({
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text},
            "at": {"atMobiles": d.oncall},
        })
        .to_string()
    };
    assert_eq!(value(jinja(&d)), expected, "all must do the same work");

    let mut group = c.benchmark_group("markdown message to JSON");
    group.bench_function("derived", |b| {
        b.iter(|| black_box(&d).to_payload().to_json())
    });
    group.bench_function("format! + serde_json", |b| {
        b.iter(|| by_hand(black_box(&d)))
    });
    group.bench_function("minijinja + serde_json", |b| {
        b.iter(|| jinja(black_box(&d)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
