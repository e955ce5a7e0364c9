//! A robot's keyword put where DingTalk looks for it, once, rather than in every layout
//! ([`Payload::prefixed`], [`RobotBuilder::prefix_keyword`](crate::RobotBuilder::prefix_keyword)).

use crate::payload::Payload;

impl Payload {
    /// This message with `prefix` (which holds the robot's keyword: `"[ops] "`) put before
    /// the first text a reader sees of it, where DingTalk's keyword check finds it: a text's
    /// content; the title of a markdown message, a link or an action card (the preview in the
    /// chat list and the notification; their markdown is left as it is, so a heading stays
    /// a heading); a feed card's first entry. A text already starting with `prefix` is left
    /// as it is, so prefixing twice changes nothing; a feed card without entries too.
    ///
    /// [`RobotBuilder::prefix_keyword`](crate::RobotBuilder::prefix_keyword) does it to every
    /// message a robot sends; a message type can call it in its own
    /// [`to_payload`](crate::Message::to_payload).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    ///
    /// let text = Payload::from(Payload::text("disk full")).prefixed("[ops] ");
    /// assert_eq!(text.content(), Some("[ops] disk full"));
    /// let card = Payload::from(Payload::markdown("Deploy", "### billing v2.4")).prefixed("[ops] ");
    /// assert_eq!(card.title(), Some("[ops] Deploy"));
    /// assert_eq!(card.as_markdown().unwrap().text(), "### billing v2.4");
    /// assert_eq!(card.clone().prefixed("[ops] "), card);
    /// ```
    pub fn prefixed(mut self, prefix: &str) -> Payload {
        let first = match &mut self {
            Payload::Text(text) => Some(&mut text.content),
            Payload::Markdown(markdown) => Some(&mut markdown.title),
            Payload::Link(link) => Some(&mut link.title),
            Payload::ActionCard(card) => Some(&mut card.title),
            Payload::FeedCard(feed) => feed.links.first_mut().map(|link| &mut link.title),
        };
        if let Some(first) = first
            && !prefix.is_empty()
            && !first.starts_with(prefix)
        {
            first.insert_str(0, prefix);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_goes_where_a_reader_sees_it_first_once() {
        let p = "[ops] ";
        let link = Payload::from(Payload::link("Notes", "v2.4", "https://e.com")).prefixed(p);
        assert_eq!(link.title(), Some("[ops] Notes"));
        let card =
            Payload::from(Payload::action_card("Leave", "3 days").button("OK", "https://e.com"))
                .prefixed(p);
        assert_eq!(card.title(), Some("[ops] Leave"));
        let feed = Payload::from(Payload::feed_card().link("a", "https://e.com/a", "").link(
            "b",
            "https://e.com/b",
            "",
        ))
        .prefixed(p);
        let titles: Vec<&str> = feed
            .as_feed_card()
            .unwrap()
            .link_list()
            .iter()
            .map(|l| l.title())
            .collect();
        assert_eq!(titles, ["[ops] a", "b"]);
        let empty = Payload::from(Payload::feed_card());
        assert_eq!(empty.clone().prefixed(p), empty);
        let text = Payload::from(Payload::text("x"));
        assert_eq!(text.clone().prefixed(""), text);
    }
}
