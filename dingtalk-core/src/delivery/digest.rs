//! Merging a backlog into markdown summaries, each within DingTalk's size limit.

use crate::payload::{At, Payload};
use crate::spec;

/// Splits `parts` into runs, each merged into one markdown summary that fits in a request
/// body (with room for the `msgUuid`). A part too large to share a summary stays as it is.
pub(crate) fn digests(parts: &[&Payload]) -> Vec<(Payload, std::ops::Range<usize>)> {
    // Room left for `,"msgUuid":"<32 hex>"`.
    const LIMIT: usize = spec::MAX_BODY_BYTES - spec::MSG_UUID_FIELD_LEN;
    let mut out = Vec::new();
    let mut start = 0;
    while start < parts.len() {
        // Grow the run while it fits; a run of one that does not fit goes out as itself.
        let mut end = start + 1;
        let mut best = digest(&parts[start..end]);
        if best.to_json().len() > LIMIT {
            out.push((parts[start].clone(), start..end));
            start = end;
            continue;
        }
        while end < parts.len() {
            let next = digest(&parts[start..end + 1]);
            if next.to_json().len() > LIMIT {
                break;
            }
            best = next;
            end += 1;
        }
        out.push((best, start..end));
        start = end;
    }
    out
}

/// One markdown summary of `parts`: each under its own heading, mentions merged.
fn digest(parts: &[&Payload]) -> Payload {
    if let [single] = parts {
        return (*single).clone();
    }
    let mut text = String::new();
    let mut at = At::default();
    for part in parts {
        let (title, body) = summary(part);
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        if !title.is_empty() {
            text.push_str("#### ");
            text.push_str(&title);
            text.push_str("\n\n");
        }
        text.push_str(&body);
        if let Some(part_at) = part.at() {
            At::add(&mut at.mobiles, part_at.mobiles().iter().cloned());
            At::add(&mut at.user_ids, part_at.user_ids().iter().cloned());
            at.all |= part_at.is_all();
        }
    }
    let title = format!("{} messages", parts.len());
    let mut markdown = Payload::markdown(title, text);
    markdown.at = at;
    markdown.into()
}

/// Plain text made markdown that shows it as it is.
fn escaped(text: &str) -> String {
    crate::markdown::escape(text)
}

/// A part's title and its body as markdown.
fn summary(part: &Payload) -> (String, String) {
    let links = |links: Vec<(&str, &str)>| {
        links
            .iter()
            .map(|(title, url)| format!("- [{}]({url})", escaped(title)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match part {
        // Text messages are plain: escaped, so that they show in markdown as they did.
        Payload::Text(t) => (String::new(), escaped(&t.rendered_content())),
        Payload::Markdown(m) => (m.title.clone(), m.rendered_text().into_owned()),
        Payload::Link(l) => (
            escaped(&l.title),
            format!(
                "{}\n\n[{}]({})",
                escaped(&l.text),
                escaped(&l.message_url),
                l.message_url
            ),
        ),
        Payload::ActionCard(c) => {
            let buttons = links(c.buttons.iter().map(|b| (b.title(), b.url())).collect());
            (c.title.clone(), format!("{}\n\n{buttons}", c.text))
        }
        Payload::FeedCard(f) => (
            String::new(),
            links(
                f.links
                    .iter()
                    .map(|l| (l.title(), l.message_url()))
                    .collect(),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_parts_under_headings_with_their_mentions() {
        let a: Payload = Payload::text("disk 91%").at_mobiles(["138"]).into();
        let b: Payload = Payload::markdown("CPU", "**97%**")
            .at_user_ids(["u1"])
            .into();
        let c: Payload = Payload::action_card("Leave", "Alice")
            .button("Approve", "https://a")
            .into();
        let merged = digests(&[&a, &b, &c]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].1, 0..3);
        let Payload::Markdown(m) = &merged[0].0 else {
            panic!("{:?}", merged[0].0)
        };
        assert_eq!(m.title(), "3 messages");
        assert_eq!(
            m.text(),
            "disk 91% @138\n\n#### CPU\n\n**97%**\n\n@u1\n\n#### Leave\n\nAlice\n\n- [Approve](https://a)"
        );
        assert_eq!(m.at().mobiles(), ["138"]);
        assert_eq!(m.at().user_ids(), ["u1"]);
        let plain: Payload = Payload::text("*not* bold\nline").into();
        let merged = digests(&[&plain, &plain]);
        let Payload::Markdown(m) = &merged[0].0 else {
            panic!()
        };
        assert!(
            m.text().starts_with("\\*not\\* bold  \nline\n\n"),
            "{}",
            m.text()
        );
    }

    #[test]
    fn splits_what_does_not_fit_and_keeps_every_part() {
        let big: Payload = Payload::text("x".repeat(7_000)).into();
        let parts = vec![&big; 7];
        let merged = digests(&parts);
        // Two parts of 7,000 bytes fit in 20,000, three do not.
        let ranges: Vec<_> = merged.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(ranges, [0..2, 2..4, 4..6, 6..7]);
        for (payload, _) in &merged {
            assert!(payload.to_json().len() <= spec::MAX_BODY_BYTES);
        }
        // The last, alone, goes as it is.
        assert_eq!(merged[3].0, big);
    }
}
