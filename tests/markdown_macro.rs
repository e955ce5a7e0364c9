//! `markdown!`: the exact text a template over local variables writes, and that it is the text a
//! derived message's markdown would be.

use std::collections::BTreeMap;

use dingtalk_bot::{Message, Payload, RawMarkdown, markdown};

#[test]
fn values_are_escaped_for_where_they_stand() {
    let (heading, item, middle) = ("# not a heading", "1. not a list", "#12 -5 °C *x*");
    let text = markdown!("{heading}\n- {item}\n> quoted {middle} <{middle}>");
    assert_eq!(
        text,
        concat!(
            "\\# not a heading  \n",
            "- 1\\. not a list  \n",
            // The template's own markup is the author's: `>` and `<…>` stay.
            "> quoted #12 -5 °C \\*x\\* <#12 -5 °C \\*x\\*>",
        )
    );
    let html = "<b>bold</b> & [link](https://evil) ~~gone~~";
    assert_eq!(
        markdown!("{html}"),
        "&lt;b&gt;bold&lt;/b&gt; &amp; \\[link\\](https://evil) &#126;&#126;gone&#126;&#126;"
    );
}

#[test]
fn addresses_are_encoded_by_where_the_value_stands() {
    let (base, job, query) = ("https://ci.example.com/a b)", "build & test", "x=1&y=é");
    assert_eq!(
        markdown!("[run]({base}) [job](https://ci.example.com/jobs/{job}?q={query})"),
        "[run](https://ci.example.com/a%20b%29) \
         [job](https://ci.example.com/jobs/build%20%26%20test?q=x%3D1%26y%3D%C3%A9)"
    );
}

#[test]
fn single_newlines_become_line_breaks_in_the_template_and_in_values() {
    let notes = "first\nsecond\n\nnext paragraph";
    assert_eq!(
        markdown!("### Notes\n{notes}\n\nend\n"),
        "### Notes  \nfirst  \nsecond\n\nnext paragraph\n\nend  \n"
    );
    // Given to the builder, the rule made again changes nothing.
    let text = markdown!("a\n{notes}");
    assert_eq!(Payload::markdown("t", text.as_str()).text(), text);
}

#[test]
fn format_specs_braces_and_literals() {
    let (cpu, n, id) = (97.345_f64, 7_u32, 255_u32);
    assert_eq!(
        markdown!("{cpu:.1}% [{n:>3}] {id:#x} {{literal}} {n:?}"),
        "97.3% [  7] 0xff {literal} 7"
    );
    assert_eq!(
        markdown!("**only literal text**\n"),
        "**only literal text**  \n"
    );
    assert_eq!(markdown!(""), "");
    // A trailing comma is taken.
    assert_eq!(markdown!("{n}",), "7");
}

#[test]
fn sections_test_bools_and_options_and_repeat_for_each_item() {
    struct Check {
        name: &'static str,
        error: Option<&'static str>,
    }
    let checks = vec![
        Check {
            name: "parse_args",
            error: None,
        },
        Check {
            name: "db",
            error: Some("timeout <5s>"),
        },
    ];
    let passed = false;
    let owner: Option<&str> = None;
    let text = markdown!(
        "### {#if passed}passed{#else}failed{/if}
{#each checks as check}
- {check.name}{#if check.error}: **{check.error}**{/if}
{/each}
owner: {#if owner}{owner}{#else}nobody{/if}"
    );
    assert_eq!(
        text,
        concat!(
            "### failed  \n",
            "- parse\\_args  \n",
            "- db: **timeout &lt;5s&gt;**  \n",
            "owner: nobody",
        )
    );
    // Read by reference: nothing was moved.
    assert_eq!(checks.len(), 2);

    let by_host: BTreeMap<&str, Vec<u8>> = [("db-1", vec![91, 97]), ("web", vec![])].into();
    assert_eq!(
        markdown!("{#each by_host as host}{host.0}:{#each host.1 as cpu} {cpu}%{/each};{/each}"),
        "db-1: 91% 97%;web:;"
    );
}

#[test]
fn raw_markdown_goes_in_as_it_is() {
    let summary = RawMarkdown("**3** checks failed\n- see below");
    let plain = "**3**";
    assert_eq!(
        markdown!("{summary}: {plain}"),
        "**3** checks failed\n- see below: \\*\\*3\\*\\*"
    );
}

struct Deploy {
    service: String,
    version: (u32, u32),
    notes: Vec<String>,
}

impl Message for Deploy {
    fn to_payload(&self) -> Payload {
        let text = markdown!(
            "### {self.service} v{self.version.0}.{self.version.1}
{#each self.notes as note}
- {note}
{/each}"
        );
        Payload::markdown(format!("Deploy {}", self.service), text).into()
    }
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "Deploy {service}",
    text = "### {service} v{version.0}.{version.1}
{#each notes as note}
- {note}
{/each}"
))]
struct Derived {
    service: String,
    version: (u32, u32),
    notes: Vec<String>,
}

#[test]
fn self_in_a_method_and_the_same_text_as_the_derive() {
    let notes = vec!["fixed *login*".to_owned(), "# faster".to_owned()];
    let by_hand = Deploy {
        service: "billing_api".into(),
        version: (2, 4),
        notes: notes.clone(),
    };
    let derived = Derived {
        service: "billing_api".into(),
        version: (2, 4),
        notes,
    };
    assert_eq!(
        by_hand.to_payload().content(),
        Some("### billing\\_api v2.4  \n- fixed \\*login\\*  \n- \\# faster  \n")
    );
    assert_eq!(by_hand.to_json(), derived.to_json());
}

#[test]
fn references_and_owned_values_alike() {
    let owned = String::from("a_b");
    let borrowed: &str = "c_d";
    let nested: &&String = &&owned;
    let flag = &true;
    assert_eq!(
        markdown!("{owned} {borrowed} {nested}{#if flag} yes{/if}"),
        "a\\_b c\\_d a\\_b yes"
    );
    assert_eq!(owned, "a_b");
}

/// The lints a crate may deny find nothing in what `markdown!` writes.
#[deny(
    warnings,
    clippy::all,
    clippy::pedantic,
    unused_qualifications,
    unused_results,
    trivial_casts
)]
mod lints {
    use dingtalk_bot::{RawMarkdown, markdown};

    pub struct Item {
        pub name: String,
    }

    pub fn everything(
        items: &[Item],
        flag: bool,
        note: Option<&str>,
        raw: &RawMarkdown<String>,
    ) -> String {
        markdown!(
            "{#if flag}> {note:?}\n{/if}{#each items as item}- {item.name:>3} [x](https://a/{item.name})\n{/each}{#if note}{note}{/if}{raw}"
        )
    }

    pub fn literal() -> String {
        markdown!("just text")
    }
}

#[test]
fn lints_stay_quiet() {
    let items = [lints::Item { name: "a".into() }];
    let raw = RawMarkdown("**r**".to_owned());
    assert_eq!(
        lints::everything(&items, true, Some("n"), &raw),
        "> Some(\"n\")  \n-   a [x](https://a/a)  \nn**r**"
    );
    assert_eq!(lints::literal(), "just text");
}
