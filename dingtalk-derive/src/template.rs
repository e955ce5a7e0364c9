//! The template language, parsed: plain Rust in, nodes with byte ranges out, no syn types.
//!
//! ```text
//! text        literal text; `{{` and `}}` are literal braces
//! {a.b:spec}  a value: a field or loop variable, then `.sub` accesses, then a format spec
//! {#if a}…{#else}…{/if}      `bool` or `Option` field; inside, `{a}` is the value held
//! {#each items as item}…{/each}
//! ```
//!
//! The names are a derived type's fields, or, in `markdown!`, the variables where it is called
//! ([`Names`]): one grammar for both.

use std::ops::Range;

/// What the names in a template stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Names {
    /// The fields of a derived type (and loop variables).
    Fields,
    /// Variables in scope where `markdown!` is called, `self` among them (and loop variables).
    Variables,
}

impl Names {
    /// What a name is, in error messages.
    fn noun(self) -> &'static str {
        match self {
            Names::Fields => "field",
            Names::Variables => "variable",
        }
    }
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Literal text, braces unescaped.
    Lit(String),
    /// `{path:spec}`.
    Value(Value),
    /// `{#if cond}then{#else}otherwise{/if}`.
    If {
        cond: Name,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `{#each iter as binding}body{/each}`.
    Each {
        iter: Name,
        binding: Name,
        body: Vec<Node>,
    },
}

/// A name used in a template, with where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    /// The name before the first `.`.
    pub(crate) root: String,
    /// The accesses after it: `["sub", "x"]` for `root.sub.x`.
    pub(crate) rest: Vec<String>,
    /// Byte range of the whole `{…}` in the template.
    pub(crate) range: Range<usize>,
}

impl Name {
    /// The name as written: `root.sub.x`.
    pub(crate) fn dotted(&self) -> String {
        self.rest.iter().fold(self.root.clone(), |a, b| a + "." + b)
    }
}

/// `{path:spec}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) name: Name,
    /// The format spec after `:`, without it; empty for none.
    pub(crate) spec: String,
}

/// A mistake in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) message: String,
    pub(crate) range: Range<usize>,
}

enum Frame {
    If {
        cond: Name,
        then: Option<Vec<Node>>,
        start: usize,
        /// Opened by a tag with a mistake, reported already.
        broken: bool,
    },
    Each {
        iter: Name,
        binding: Name,
        start: usize,
        broken: bool,
    },
}

impl Frame {
    fn tag(&self) -> &'static str {
        match self {
            Frame::If { .. } => "{#if …}",
            Frame::Each { .. } => "{#each …}",
        }
    }
}

/// The sections open where the parser stands, each with the nodes read inside it so far.
#[derive(Default)]
struct Levels {
    top: Vec<Node>,
    /// Innermost last.
    open: Vec<(Frame, Vec<Node>)>,
}

impl Levels {
    /// Where the next node goes.
    fn nodes(&mut self) -> &mut Vec<Node> {
        match self.open.last_mut() {
            Some((_, nodes)) => nodes,
            None => &mut self.top,
        }
    }
}

/// Parses a template, finding every mistake it can: the nodes read, and the mistakes (none
/// for a template without any).
pub(crate) fn parse(template: &str, names: Names) -> (Vec<Node>, Vec<Error>) {
    let mut errors = Vec::new();
    let mut levels = Levels::default();
    let mut lit = String::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                lit.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                lit.push('}');
                i += 2;
            }
            b'}' => {
                errors.push(Error {
                    message: "unmatched `}` in template; write `}}` for a literal brace".into(),
                    range: i..i + 1,
                });
                i += 1;
            }
            b'{' => {
                let Some(len) = template[i + 1..]
                    .find(['}', '{'])
                    .filter(|&n| bytes[i + 1 + n] == b'}')
                else {
                    errors.push(Error {
                        message: "unclosed `{` in template; write `{{` for a literal brace".into(),
                        range: i..i + 1,
                    });
                    i += 1;
                    continue;
                };
                let range = i..i + len + 2;
                let inner = &template[i + 1..i + 1 + len];
                i = range.end;
                // A section tag alone on its line takes the line with it, so that sections
                // can be written on lines of their own without leaving blank lines.
                if let Some(after) = standalone(template, &range, inner) {
                    let line_start = lit.rfind('\n').map_or(0, |n| n + 1);
                    lit.truncate(line_start);
                    i = after;
                }
                if !lit.is_empty() {
                    levels.nodes().push(Node::Lit(std::mem::take(&mut lit)));
                }
                if let Err(e) = tag(inner, range, names, &mut levels) {
                    errors.push(e);
                }
            }
            _ => {
                let next = template[i..]
                    .find(['{', '}'])
                    .map_or(template.len(), |n| i + n);
                lit.push_str(&template[i..next]);
                i = next;
            }
        }
    }
    if !lit.is_empty() {
        levels.nodes().push(Node::Lit(lit));
    }
    while let Some((frame, _)) = levels.open.pop() {
        let (start, broken, close) = match &frame {
            Frame::If { start, broken, .. } => (*start, *broken, "{/if}"),
            Frame::Each { start, broken, .. } => (*start, *broken, "{/each}"),
        };
        if !broken {
            errors.push(Error {
                message: format!(
                    "unclosed `{}` in template; close it with `{close}`",
                    frame.tag()
                ),
                range: start..template.len(),
            });
        }
    }
    (levels.top, errors)
}

/// Where the template goes on after a section tag that stands alone on its line (only
/// white space around it): past the line's end. `None` for other tags.
fn standalone(template: &str, range: &Range<usize>, inner: &str) -> Option<usize> {
    let inner = inner.trim_start();
    if !inner.starts_with('#') && !inner.starts_with('/') {
        return None;
    }
    let line_start = template[..range.start].rfind('\n').map_or(0, |n| n + 1);
    if !template[line_start..range.start].trim().is_empty() {
        return None;
    }
    let rest = &template[range.end..];
    let line_end = rest.find('\n').map_or(rest.len(), |n| n + 1);
    rest[..line_end]
        .trim()
        .is_empty()
        .then_some(range.end + line_end)
}

/// Handles one `{…}`.
fn tag(inner: &str, range: Range<usize>, names: Names, levels: &mut Levels) -> Result<(), Error> {
    let error = |message: String| Error {
        message,
        range: range.clone(),
    };
    let trimmed = inner.trim();
    if let Some(section) = trimmed.strip_prefix('#') {
        let (keyword, rest) = section
            .split_once(char::is_whitespace)
            .unwrap_or((section, ""));
        let rest = rest.trim();
        match keyword {
            "if" => {
                let cond = name(rest, range.clone(), names);
                // Opened even when its condition is wrong, so that its `{/if}` is no error too.
                levels.open.push((
                    Frame::If {
                        cond: cond.clone().unwrap_or_else(|_| placeholder(&range)),
                        then: None,
                        start: range.start,
                        broken: cond.is_err(),
                    },
                    Vec::new(),
                ));
                cond.map(drop)
                    .map_err(|m| error(format!("in `{{#if …}}`: {m}")))
            }
            "else" if !rest.is_empty() => Err(error(format!(
                "`{{#else}}` takes no condition; for `{{#else {rest}}}` write `{{#else}}{{#{rest}}}…{{/if}}`"
            ))),
            "else" => match levels.open.last_mut() {
                Some((
                    Frame::If {
                        then: then @ None, ..
                    },
                    nodes,
                )) => {
                    *then = Some(std::mem::take(nodes));
                    Ok(())
                }
                Some((Frame::If { .. }, _)) => {
                    Err(error("a second `{#else}` in one `{#if …}`".into()))
                }
                _ => Err(error("`{#else}` outside `{#if …}`".into())),
            },
            "each" => {
                let parsed = each(rest, &range, names);
                // Opened even when wrong, so that its `{/each}` is no error too.
                let (iter, binding) = parsed
                    .clone()
                    .unwrap_or_else(|_| (placeholder(&range), placeholder(&range)));
                levels.open.push((
                    Frame::Each {
                        iter,
                        binding,
                        start: range.start,
                        broken: parsed.is_err(),
                    },
                    Vec::new(),
                ));
                parsed.map(drop).map_err(error)
            }
            other => Err(error(format!(
                "unknown section `{{#{other}}}`; expected `{{#if …}}`, `{{#else}}` or `{{#each … as …}}`"
            ))),
        }
    } else if let Some(close) = trimmed.strip_prefix('/') {
        let close = close.trim();
        if !matches!(close, "if" | "each") {
            return Err(error(format!(
                "unknown closing tag `{{/{close}}}`; expected `{{/if}}` or `{{/each}}`"
            )));
        }
        let Some((frame, nodes)) = levels.open.pop() else {
            return Err(error(format!("stray `{{/{close}}}`: no section is open")));
        };
        let node = match (close, frame) {
            ("if", Frame::If { cond, then, .. }) => match then {
                Some(then) => Node::If {
                    cond,
                    then,
                    otherwise: nodes,
                },
                None => Node::If {
                    cond,
                    then: nodes,
                    otherwise: Vec::new(),
                },
            },
            ("each", Frame::Each { iter, binding, .. }) => Node::Each {
                iter,
                binding,
                body: nodes,
            },
            (_, frame) => {
                let open = frame.tag();
                // Still open: the tag closes nothing.
                levels.open.push((frame, nodes));
                return Err(error(format!(
                    "`{{/{close}}}` closes nothing here: the open section is `{open}`"
                )));
            }
        };
        levels.nodes().push(node);
        Ok(())
    } else {
        let (path, spec) = match inner.split_once(':') {
            Some((path, spec)) => (path, spec),
            None => (inner, ""),
        };
        let noun = names.noun();
        if path.trim().is_empty() && spec.is_empty() {
            return Err(error(format!(
                "empty placeholder `{{}}`: name a {noun}, as in `{{service}}`"
            )));
        }
        if path.trim().is_empty() {
            return Err(error(format!(
                "`{{:{spec}}}` names no {noun}: write the {noun} before `:`, as in `{{cpu:.1}}`"
            )));
        }
        let name = name(path.trim(), range.clone(), names).map_err(error)?;
        levels.nodes().push(Node::Value(Value {
            name,
            spec: spec.to_owned(),
        }));
        Ok(())
    }
}

/// `items as item` in `{#each items as item}`.
fn each(rest: &str, range: &Range<usize>, names: Names) -> Result<(Name, Name), String> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let [iter, "as", binding] = words[..] else {
        return Err("expected `{#each items as item}`".into());
    };
    let iter = name(iter, range.clone(), names).map_err(|m| format!("in `{{#each …}}`: {m}"))?;
    if binding == "self" {
        return Err(
            "the loop variable cannot be `self`: name it, as in `{#each items as item}`".into(),
        );
    }
    let binding =
        name(binding, range.clone(), names).map_err(|m| format!("in `{{#each …}}`: {m}"))?;
    if !binding.rest.is_empty() {
        return Err(format!(
            "the loop variable `{}` must be a plain name",
            binding.dotted()
        ));
    }
    Ok((iter, binding))
}

/// `items as item`, written alone (as in `each = "items as item"` on a button or feed link).
pub(crate) fn parse_each(text: &str) -> Result<(Name, Name), String> {
    each(text, &(0..text.len()), Names::Fields)
}

/// Stands for a name that could not be read, in a section opened so parsing can go on.
fn placeholder(range: &Range<usize>) -> Name {
    Name {
        root: "_".into(),
        rest: Vec::new(),
        range: range.clone(),
    }
}

/// Parses `root.sub.x`.
fn name(text: &str, range: Range<usize>, names: Names) -> Result<Name, String> {
    let mut parts = text.split('.');
    let root = parts.next().unwrap_or_default();
    let noun = names.noun();
    // A Rust identifier, raw or not: `self` and its kin cannot be one.
    let is_ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
            && chars.all(unicode_ident::is_xid_continue)
            && !matches!(s, "_" | "self" | "Self" | "super" | "crate")
    };
    let is_index = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let is_self = names == Names::Variables && root == "self";
    if !is_ident(root) && !is_self {
        return Err(format!(
            "`{text}` is not a {noun} name; a placeholder is `{{{noun}}}`, `{{{noun}.sub}}` or \
             `{{{noun}:spec}}`"
        ));
    }
    let rest: Vec<String> = parts.map(str::to_owned).collect();
    if let Some(bad) = rest.iter().find(|p| !is_ident(p) && !is_index(p)) {
        return Err(format!("`{bad}` in `{text}` is not a field name"));
    }
    Ok(Name {
        root: root.to_owned(),
        rest,
        range,
    })
}

/// Every name a template uses, with the loop variables in scope where it stands.
pub(crate) fn visit_names<'a>(
    nodes: &'a [Node],
    scope: &mut Vec<&'a str>,
    f: &mut impl FnMut(&'a Name, &[&'a str]),
) {
    for node in nodes {
        match node {
            Node::Lit(_) => {}
            Node::Value(v) => f(&v.name, scope),
            Node::If {
                cond,
                then,
                otherwise,
            } => {
                f(cond, scope);
                // Inside, the condition's name means the value held.
                visit_names(then, scope, f);
                visit_names(otherwise, scope, f);
            }
            Node::Each {
                iter,
                binding,
                body,
            } => {
                f(iter, scope);
                scope.push(&binding.root);
                visit_names(body, scope, f);
                scope.pop();
            }
        }
    }
}

/// A template's literal text, with each value written as `x` and each section as its bodies
/// one after the other: what markdown checks look at.
pub(crate) struct Skeleton<'a> {
    pub(crate) text: String,
    /// Every value, where its `x` stands in `text`.
    pub(crate) values: Vec<Placed<'a>>,
}

/// A value in a [`Skeleton`].
pub(crate) struct Placed<'a> {
    /// The byte offset of its `x`.
    pub(crate) offset: usize,
    pub(crate) value: &'a Value,
    /// The loops around it, outermost first: each one's variable and what it iterates.
    pub(crate) loops: Vec<(&'a str, &'a Name)>,
}

/// The [`Skeleton`] of a template's nodes.
pub(crate) fn skeleton(nodes: &[Node]) -> Skeleton<'_> {
    fn walk<'a>(nodes: &'a [Node], loops: &mut Vec<(&'a str, &'a Name)>, out: &mut Skeleton<'a>) {
        for node in nodes {
            match node {
                Node::Lit(s) => out.text.push_str(s),
                Node::Value(value) => {
                    out.values.push(Placed {
                        offset: out.text.len(),
                        value,
                        loops: loops.clone(),
                    });
                    out.text.push('x');
                }
                Node::If {
                    then, otherwise, ..
                } => {
                    walk(then, loops, out);
                    walk(otherwise, loops, out);
                }
                Node::Each {
                    iter,
                    binding,
                    body,
                } => {
                    loops.push((&binding.root, iter));
                    walk(body, loops, out);
                    loops.pop();
                }
            }
        }
    }
    let mut out = Skeleton {
        text: String::new(),
        values: Vec::new(),
    };
    walk(nodes, &mut Vec::new(), &mut out);
    out
}

/// The bytes of literal text in a template.
pub(crate) fn literal_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| match node {
            Node::Lit(s) => s.len(),
            Node::Value(_) => 0,
            Node::If {
                then, otherwise, ..
            } => literal_len(then).max(literal_len(otherwise)),
            Node::Each { body, .. } => literal_len(body),
        })
        .sum()
}

/// The number of values in a template, sections counted once.
pub(crate) fn value_count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| match node {
            Node::Lit(_) => 0,
            Node::Value(_) => 1,
            Node::If {
                then, otherwise, ..
            } => value_count(then).max(value_count(otherwise)),
            Node::Each { body, .. } => value_count(body),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(root: &str, rest: &[&str], spec: &str, range: Range<usize>) -> Node {
        Node::Value(Value {
            name: Name {
                root: root.into(),
                rest: rest.iter().map(|s| s.to_string()).collect(),
                range,
            },
            spec: spec.into(),
        })
    }

    /// The nodes of a template without mistakes.
    fn ok(template: &str) -> Vec<Node> {
        let (nodes, errors) = parse(template, Names::Fields);
        assert_eq!(errors, [], "{template}");
        nodes
    }

    fn errors(template: &str) -> Vec<String> {
        parse(template, Names::Fields)
            .1
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn values_literals_and_braces() {
        assert_eq!(
            ok("CPU {cpu:.1}% on {host.name} {{x}}"),
            vec![
                Node::Lit("CPU ".into()),
                value("cpu", &[], ".1", 4..12),
                Node::Lit("% on ".into()),
                value("host", &["name"], "", 17..28),
                Node::Lit(" {x}".into()),
            ]
        );
        assert_eq!(ok(""), vec![]);
        assert_eq!(ok("多字节 {名字}")[1], value("名字", &[], "", 10..18));
    }

    #[test]
    fn sections_nest() {
        let nodes = ok("{#if a}A{a}{#else}none{/if}{#each xs as x}{#if x.ok}y{/if}{/each}");
        let [
            Node::If {
                cond,
                then,
                otherwise,
            },
            Node::Each {
                iter,
                binding,
                body,
            },
        ] = &nodes[..]
        else {
            panic!("{nodes:?}")
        };
        assert_eq!(cond.root, "a");
        assert_eq!(then.len(), 2);
        assert_eq!(otherwise, &[Node::Lit("none".into())]);
        assert_eq!((iter.root.as_str(), binding.root.as_str()), ("xs", "x"));
        assert!(matches!(&body[0], Node::If { cond, .. } if cond.rest == ["ok"]));
        assert_eq!(skeleton(&nodes).text, "Axnoney");
    }

    #[test]
    fn section_tags_alone_on_their_lines_take_the_line() {
        let nodes = ok("a\n  {#if x}\nb\n{#else}\nc\n{/if}\nd {#if y}e{/if}\n");
        assert_eq!(skeleton(&nodes).text, "a\nb\nc\nd e\n");
        let nodes = ok("{#each xs as x}\n- {x}\n{/each}");
        assert_eq!(skeleton(&nodes).text, "- x\n");
    }

    #[test]
    fn reports_every_mistake() {
        assert_eq!(
            errors("a } b {c"),
            [
                "unmatched `}` in template; write `}}` for a literal brace",
                "unclosed `{` in template; write `{{` for a literal brace",
            ]
        );
        assert_eq!(
            errors("{}"),
            ["empty placeholder `{}`: name a field, as in `{service}`"]
        );
        assert_eq!(
            errors("{#if a}"),
            ["unclosed `{#if …}` in template; close it with `{/if}`"]
        );
        assert_eq!(errors("{/each}"), ["stray `{/each}`: no section is open"]);
        assert_eq!(
            errors("{#each xs as x}{/if}{/each}"),
            ["`{/if}` closes nothing here: the open section is `{#each …}`"]
        );
        assert_eq!(errors("{#else}"), ["`{#else}` outside `{#if …}`"]);
        assert_eq!(
            errors("{#if a}{#else}{#else}{/if}"),
            ["a second `{#else}` in one `{#if …}`"]
        );
        assert_eq!(errors("{#each xs}"), ["expected `{#each items as item}`"]);
        // A bad opening tag does not make its closing tag an error too.
        assert_eq!(errors("{#if}x{/if}").len(), 1);
        assert_eq!(errors("{#each xs in ys}x{/each}").len(), 1);
        assert!(errors("{#else if b}")[0].starts_with("`{#else}` takes no condition"));
        assert!(errors("{:x}")[0].starts_with("`{:x}` names no field"));
        assert!(errors("{a½}")[0].contains("not a field name"));
        assert!(errors("{self}")[0].contains("not a field name"));
        assert_eq!(errors("{#each xs\tas\tx}{x}{/each}"), [] as [&str; 0]);
        assert!(errors("{#for x}")[0].starts_with("unknown section `{#for}`"));
        assert!(errors("{a-b}")[0].contains("`a-b` is not a field name"));
        assert!(errors("{a {b}")[0].starts_with("unclosed `{`"));
    }

    #[test]
    fn variables_are_named_as_fields_are_and_self_among_them() {
        let (nodes, found) = parse(
            "{self.service} {#each self.checks as c}{c}{/each}",
            Names::Variables,
        );
        assert_eq!(found, []);
        assert!(matches!(&nodes[0], Node::Value(v) if v.name.dotted() == "self.service"));
        let variable_errors = |template| -> Vec<String> {
            let (_, errors) = parse(template, Names::Variables);
            errors.into_iter().map(|e| e.message).collect()
        };
        assert_eq!(
            variable_errors("{}"),
            ["empty placeholder `{}`: name a variable, as in `{service}`"]
        );
        assert!(variable_errors("{a-b}")[0].starts_with("`a-b` is not a variable name"));
        assert!(variable_errors("{Self}")[0].contains("not a variable name"));
        assert!(
            variable_errors("{#each xs as self}{/each}")[0]
                .starts_with("the loop variable cannot be `self`")
        );
        // A derive has no `self` to name.
        assert!(errors("{self.service}")[0].contains("`self.service` is not a field name"));
    }

    #[test]
    fn names_see_their_loop_variables() {
        let nodes = ok("{a}{#each xs as x}{x.n}{#if b}{b}{/if}{/each}");
        let mut seen = Vec::new();
        visit_names(&nodes, &mut Vec::new(), &mut |name, scope| {
            seen.push((name.root.clone(), scope.join(",")));
        });
        let seen: Vec<(&str, &str)> = seen.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            seen,
            [("a", ""), ("xs", ""), ("x", "x"), ("b", "x"), ("b", "x")]
        );
    }

    #[test]
    fn skeletons_place_each_value_with_its_loops() {
        let nodes = ok("`{a}` {#each xs as x}{x}{/each}");
        let skeleton = skeleton(&nodes);
        assert_eq!(skeleton.text, "`x` x");
        let placed: Vec<(usize, String, Vec<&str>)> = skeleton
            .values
            .iter()
            .map(|p| {
                let loops = p.loops.iter().map(|(binding, _)| *binding).collect();
                (p.offset, p.value.name.dotted(), loops)
            })
            .collect();
        assert_eq!(
            placed,
            [(1, "a".to_owned(), vec![]), (4, "x".to_owned(), vec!["x"])]
        );
    }

    #[test]
    fn measures_literals_and_values() {
        let nodes = ok("ab{x}{#if c}long{#else}s{/if}");
        assert_eq!(literal_len(&nodes), 6);
        assert_eq!(value_count(&nodes), 1);
    }
}
