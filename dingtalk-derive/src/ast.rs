//! The IR: what a derive input says, with templates parsed and the user's syntax kept for
//! error spans.

use std::path::PathBuf;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr};

use crate::Ctxt;
use crate::attr;
use crate::template::{self, Node};

/// The layout options of a type or variant, as written.
#[derive(Default)]
pub struct LayoutAttrs {
    pub kinds: Vec<KindAttr>,
    /// Whether a kind was written, valid or not: a broken one is reported where it stands,
    /// not again as a missing layout.
    pub kind_written: bool,
    pub buttons: Vec<ButtonAttr>,
    pub at_all: bool,
    pub allow_unrendered_markdown: bool,
    pub krate: Option<syn::Path>,
    pub preserve_newlines: Option<bool>,
    pub pc_slide: Option<bool>,
}

pub struct KindAttr {
    pub kind: Kind,
    /// The kind's name as written, for errors.
    pub span: syn::Path,
}

pub enum Kind {
    Markdown {
        title: LitStr,
        text: Source,
    },
    ActionCard {
        title: LitStr,
        text: Source,
        orientation: Orientation,
        hide_avatar: bool,
    },
    Text {
        content: Source,
    },
    Link {
        title: LitStr,
        text: LitStr,
        message_url: LitStr,
        pic_url: Option<LitStr>,
    },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Markdown { .. } => "markdown",
            Kind::ActionCard { .. } => "action_card",
            Kind::Text { .. } => "text",
            Kind::Link { .. } => "link",
        }
    }

    /// Whether DingTalk honours mentions on this kind.
    pub fn mentions(&self) -> bool {
        matches!(self, Kind::Markdown { .. } | Kind::Text { .. })
    }
}

/// Where a template's text comes from.
pub enum Source {
    Inline(LitStr),
    File {
        lit: LitStr,
        path: PathBuf,
        text: String,
    },
}

impl Source {
    pub fn lit(&self) -> &LitStr {
        match self {
            Source::Inline(lit) | Source::File { lit, .. } => lit,
        }
    }

    fn text(&self) -> String {
        match self {
            Source::Inline(lit) => lit.value(),
            Source::File { text, .. } => text.clone(),
        }
    }

    fn path(&self) -> Option<PathBuf> {
        match self {
            Source::Inline(_) => None,
            Source::File { path, .. } => Some(path.clone()),
        }
    }
}

pub struct ButtonAttr {
    pub title: LitStr,
    pub url: LitStr,
    pub span: syn::Path,
}

#[derive(Clone, Copy)]
pub enum Orientation {
    Horizontal,
    Vertical,
}

#[derive(Default)]
pub struct FieldAttrs {
    pub at_mobiles: bool,
    pub at_user_ids: bool,
    pub at_all: bool,
    pub buttons: bool,
    pub raw: bool,
}

/// A parsed template, with the literal (or `path = "…"`) it came from.
pub struct Tpl {
    pub lit: LitStr,
    pub file: Option<PathBuf>,
    pub nodes: Vec<Node>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub attrs: FieldAttrs,
}

/// A struct, or one variant of an enum: its fields and its layout.
pub struct Variant<'a> {
    /// The variant's name; `None` for a struct.
    pub ident: Option<&'a Ident>,
    /// Where errors about the whole layout point.
    pub span: Span,
    pub fields: Vec<Field<'a>>,
    pub kind: Option<KindAttr>,
    pub buttons: Vec<ButtonAttr>,
    pub at_all: bool,
    pub allow_unrendered_markdown: bool,
    pub preserve_newlines: bool,
    pub pc_slide: Option<bool>,
}

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub krate: syn::Path,
    pub variants: Vec<Variant<'a>>,
}

impl<'a> Input<'a> {
    /// Reads a derive input; its mistakes go to `cx`.
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Input<'a> {
        let outer = attr::layout(cx, &input.attrs);
        let krate = outer
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::dingtalk_bot));
        let variants = match &input.data {
            Data::Struct(data) => {
                vec![variant(
                    cx,
                    None,
                    input.ident.span(),
                    &data.fields,
                    outer,
                    None,
                )]
            }
            Data::Enum(data) => {
                if let Some(kind) = outer.kinds.first() {
                    cx.error(
                        &kind.span,
                        "on an enum, put the layout on each variant, not on the enum",
                    );
                }
                if let Some(button) = outer.buttons.first() {
                    cx.error(
                        &button.span,
                        "on an enum, put buttons on each variant, not on the enum",
                    );
                }
                if data.variants.is_empty() {
                    cx.error(
                        &input.ident,
                        "an enum without variants has no message to send",
                    );
                }
                data.variants
                    .iter()
                    .map(|v| {
                        let own = attr::layout(cx, &v.attrs);
                        if let Some(krate) = &own.krate {
                            cx.error(krate, "`crate` goes on the enum, not on a variant");
                        }
                        variant(
                            cx,
                            Some(&v.ident),
                            v.ident.span(),
                            &v.fields,
                            own,
                            Some(&outer),
                        )
                    })
                    .collect()
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token,
                    "`#[derive(Message)]` works on structs and enums, not unions",
                );
                Vec::new()
            }
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            krate,
            variants,
        }
    }
}

fn variant<'a>(
    cx: &Ctxt,
    ident: Option<&'a Ident>,
    span: Span,
    fields: &'a Fields,
    mut own: LayoutAttrs,
    outer: Option<&LayoutAttrs>,
) -> Variant<'a> {
    let fields = match fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(|f| Field {
                ident: f.ident.as_ref().expect("named"),
                attrs: attr::field(cx, &f.attrs),
            })
            .collect(),
        Fields::Unit => Vec::new(),
        Fields::Unnamed(unnamed) => {
            cx.error_at(
                unnamed.span(),
                "`#[derive(Message)]` needs named fields, which templates refer to by name",
            );
            Vec::new()
        }
    };
    let what = match ident {
        Some(v) => format!("variant `{v}`"),
        None => "this type".to_owned(),
    };
    if !own.kind_written {
        cx.error_at(
            span,
            format!(
                "{what} has no layout: add one of `#[dingtalk(markdown(…))]`, \
                 `#[dingtalk(action_card(…))]`, `#[dingtalk(text(…))]` or `#[dingtalk(link(…))]`"
            ),
        );
    }
    for extra in own.kinds.iter().skip(1) {
        cx.error(
            &extra.span,
            format!(
                "{what} has two layouts, `{}` and `{}`: a message has one kind",
                own.kinds[0].kind.name(),
                extra.kind.name()
            ),
        );
    }
    let kind = (!own.kinds.is_empty()).then(|| own.kinds.swap_remove(0));
    let inherit = |own: Option<bool>, outer_value: Option<bool>| own.or(outer_value);
    Variant {
        ident,
        span,
        fields,
        kind,
        buttons: own.buttons,
        at_all: own.at_all || outer.is_some_and(|o| o.at_all),
        allow_unrendered_markdown: own.allow_unrendered_markdown
            || outer.is_some_and(|o| o.allow_unrendered_markdown),
        preserve_newlines: inherit(
            own.preserve_newlines,
            outer.and_then(|o| o.preserve_newlines),
        )
        .unwrap_or(false),
        pc_slide: inherit(own.pc_slide, outer.and_then(|o| o.pc_slide)),
    }
}

/// Parses a template, reporting its mistakes at the literal (or the `path`).
pub fn tpl(cx: &Ctxt, lit: &LitStr) -> Option<Tpl> {
    parse_tpl(cx, lit.value(), lit, None)
}

/// Parses the template of a `text`/`content` or `path`.
pub fn source_tpl(cx: &Ctxt, source: &Source) -> Option<Tpl> {
    parse_tpl(cx, source.text(), source.lit(), source.path())
}

fn parse_tpl(cx: &Ctxt, text: String, lit: &LitStr, file: Option<PathBuf>) -> Option<Tpl> {
    // Files written on Windows: one kind of line end.
    let text = text.replace("\r\n", "\n");
    match template::parse(&text) {
        Ok(nodes) => Some(Tpl {
            lit: lit.clone(),
            file,
            nodes,
        }),
        Err(errors) => {
            for e in errors {
                let near = near(&text, &e.range);
                let place = match &file {
                    Some(path) => format!("in `{}`, ", path.display()),
                    None => String::new(),
                };
                cx.error(lit, format!("{place}{}, at `{near}`", e.message));
            }
            None
        }
    }
}

/// The template text around a byte range, for error messages.
fn near(text: &str, range: &std::ops::Range<usize>) -> String {
    let end = range.end.min(text.len()).min(range.start + 40);
    let mut end = end.max(range.start);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text[range.start..end].replace('\n', "\\n")
}
