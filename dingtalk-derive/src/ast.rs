//! The IR: what a derive input says, built once from the attributes as written, with every
//! template read and parsed, and the user's syntax kept for error spans.
//!
//! It comes in two stages. [`Input<Draft>`] is what `from_syn` builds: every part that could be
//! read, and [`Reported`] where a mistake left a hole. `valid.rs` checks it. Only when it is
//! whole does [`Input::complete`] turn it into [`Input<Layout<Template>>`], which is what
//! `expand.rs` takes: code generation never meets a hole.

use std::path::PathBuf;

use dingtalk_spec::markdown::Newlines;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr, Member, Type};

use crate::attr::{self, ButtonAttr, FeedLinkAttr, FieldAttrs, KindAttr, LayoutAttrs, Source};
use crate::ctxt::{Ctxt, Reported};
use crate::kind::{Button, FeedLink, Kind, KindName, list};
use crate::template::{self, Names, Node};

/// A derive input: what its impl is for, and a layout per variant (one for a struct).
pub(crate) struct Input<'a, L> {
    pub(crate) header: Header<'a>,
    pub(crate) variants: Vec<Variant<'a, L>>,
}

/// What the impl is for: all that the stub beside errors needs.
#[derive(Clone)]
pub(crate) struct Header<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    /// The path of the `dingtalk-bot` crate: `::dingtalk_bot` unless `crate = "…"` says.
    pub(crate) krate: TokenStream,
}

/// A struct, or one variant of an enum: its fields, its options and what it is sent as: its
/// layout `L`, or the message its one field holds.
pub(crate) struct Variant<'a, L> {
    /// The variant's name; `None` for a struct.
    pub(crate) ident: Option<&'a Ident>,
    /// Where mistakes of the whole variant point.
    pub(crate) span: Span,
    pub(crate) fields: Vec<Field<'a>>,
    pub(crate) options: Options,
    pub(crate) shape: Shape<'a, L>,
}

/// What a variant is sent as.
pub(crate) enum Shape<'a, L> {
    /// A layout of its own.
    Layout(L),
    /// `#[dingtalk(transparent)]`: the message its one field holds.
    Transparent(Transparent<'a>),
}

/// The one field of a `#[dingtalk(transparent)]` variant.
pub(crate) struct Transparent<'a> {
    /// Its name, or its index in a tuple variant.
    pub(crate) member: Member,
    /// Its type, which must implement `Message`: where that error points.
    pub(crate) ty: &'a Type,
}

/// What a layout says beside its kind; an enum's apply to each variant.
#[derive(Clone)]
pub(crate) struct Options {
    /// `at_all` or `at_all = true | false`: the variant's own, else the enum's.
    pub(crate) at_all: Option<Static<bool>>,
    /// `at_mobiles = "…"`: the enum's, then the variant's.
    pub(crate) at_mobiles: Vec<Static<Vec<String>>>,
    /// `at_user_ids = "…"`: the enum's, then the variant's.
    pub(crate) at_user_ids: Vec<Static<Vec<String>>>,
    pub(crate) allow_unrendered_markdown: bool,
    pub(crate) newlines: Newlines,
    pub(crate) pc_slide: Option<bool>,
    /// `prefix = "…"`: the variant's own, else the enum's.
    pub(crate) prefix: Option<String>,
}

/// A static option, with where it was written.
#[derive(Clone)]
pub(crate) struct Static<T> {
    pub(crate) value: T,
    /// The key as written: where mistakes about it point.
    pub(crate) span: Span,
    /// Written on the enum, not on the variant: said in mistakes about it, which point there.
    pub(crate) from_enum: bool,
}

impl<T: Clone> Static<T> {
    fn new(written: &attr::Written<T>, from_enum: bool) -> Static<T> {
        Static {
            value: written.value.clone(),
            span: written.span,
            from_enum,
        }
    }
}

/// A named field, with its `#[dingtalk(…)]` flags.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    /// The name templates use: `type` for `r#type`.
    pub(crate) name: String,
    pub(crate) attrs: FieldAttrs,
}

/// A kind with every part filled by `T`.
pub(crate) struct Layout<T> {
    pub(crate) kind: Kind<T>,
    /// The kind's name as written: where mistakes of the whole layout point.
    pub(crate) span: Span,
}

/// A template, parsed.
pub(crate) struct Template {
    /// The literal it was written in, or the `path = "…"` it was read from: where its mistakes
    /// point.
    pub(crate) lit: LitStr,
    /// The file it was read from, which the crate is rebuilt on.
    pub(crate) file: Option<PathBuf>,
    pub(crate) nodes: Vec<Node>,
}

/// A template, or the proof that its mistakes were reported.
pub(crate) type Parsed = Result<Template, Reported>;

/// A layout as far as it could be built.
pub(crate) struct Draft {
    /// `Err` when no kind was written, or the first one written misses a part it needs.
    pub(crate) layout: Result<Layout<Parsed>, Reported>,
    /// Buttons no kind took, because the kind takes none or could not be read: kept, with the
    /// proof that they were reported, so that their templates are checked all the same.
    pub(crate) stray_buttons: Vec<(Button<Parsed>, Reported)>,
    /// Feed links no kind took, kept in the same way.
    pub(crate) stray_feed_links: Vec<(FeedLink<Parsed>, Reported)>,
}

impl<'a> Input<'a, Draft> {
    /// Builds the IR of a derive input, parsing its templates; its mistakes go to `cx`.
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let mut outer = attr::layout(cx, &input.attrs);
        let krate = match outer.krate.take() {
            Some(path) => quote!(#path),
            None => quote!(::dingtalk_bot),
        };
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
                    cx.error_at(
                        kind.span,
                        "on an enum, put the layout on each variant, not on the enum",
                    );
                }
                if let Some(button) = outer.buttons.first() {
                    cx.error_at(
                        button.span,
                        "on an enum, put buttons on each variant, not on the enum",
                    );
                }
                if let Some(link) = outer.feed_links.first() {
                    cx.error_at(
                        link.span,
                        "on an enum, put feed links on each variant, not on the enum",
                    );
                }
                if let Some(span) = outer.transparent {
                    cx.error_at(
                        span,
                        "`transparent` goes on each variant that holds a message, not on the enum",
                    );
                }
                if data.variants.is_empty() {
                    cx.error(
                        &input.ident,
                        "an enum without variants has no message to send",
                    );
                }
                let owns: Vec<LayoutAttrs> = data
                    .variants
                    .iter()
                    .map(|v| attr::layout(cx, &v.attrs))
                    .collect();
                let transparent: Vec<String> = data
                    .variants
                    .iter()
                    .zip(&owns)
                    .filter(|(_, own)| own.transparent.is_some())
                    .map(|(v, _)| format!("`{}`", v.ident))
                    .collect();
                enum_options(cx, &outer, &transparent);
                data.variants
                    .iter()
                    .zip(owns)
                    .map(|(v, own)| {
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
                cx.error_at(
                    data.union_token.span,
                    "`#[derive(Message)]` works on structs and enums, not unions",
                );
                Vec::new()
            }
        };
        Input {
            header: Header {
                ident: &input.ident,
                generics: &input.generics,
                krate,
            },
            variants,
        }
    }

    /// The IR with no hole left, or the proof that a mistake made one.
    pub(crate) fn complete(self) -> Result<Input<'a, Layout<Template>>, Reported> {
        let variants = self
            .variants
            .into_iter()
            .map(|v| {
                let shape = match v.shape {
                    Shape::Transparent(field) => Shape::Transparent(field),
                    Shape::Layout(draft) => {
                        let stray = draft.stray_buttons.first().map(|(_, r)| r);
                        let stray = stray.or(draft.stray_feed_links.first().map(|(_, r)| r));
                        if let Some(reported) = stray {
                            return Err(*reported);
                        }
                        let Layout { kind, span } = draft.layout?;
                        let kind =
                            kind.try_map(|part, _, each| match each.and_then(|e| e.broken) {
                                Some(reported) => Err(reported),
                                None => part,
                            })?;
                        Shape::Layout(Layout { kind, span })
                    }
                };
                Ok(Variant {
                    ident: v.ident,
                    span: v.span,
                    fields: v.fields,
                    options: v.options,
                    shape,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Input {
            header: self.header,
            variants,
        })
    }
}

/// A struct or a variant: its fields, its options (an enum's own beside the variant's), its
/// layout with every template parsed, or the field it is sent as.
fn variant<'a>(
    cx: &Ctxt,
    ident: Option<&'a Ident>,
    span: Span,
    fields: &'a Fields,
    own: LayoutAttrs,
    outer: Option<&LayoutAttrs>,
) -> Variant<'a, Draft> {
    let what = match ident {
        Some(v) => format!("variant `{v}`"),
        None => "this type".to_owned(),
    };
    let options = options(&own, outer);
    if own.transparent.is_some() {
        let shape = match transparent(cx, &what, span, fields, &own) {
            Ok(field) => Shape::Transparent(field),
            Err(reported) => Shape::Layout(Draft {
                layout: Err(reported),
                stray_buttons: Vec::new(),
                stray_feed_links: Vec::new(),
            }),
        };
        return Variant {
            ident,
            span,
            fields: Vec::new(),
            options,
            shape,
        };
    }
    let fields = match fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                Some(Field {
                    ident,
                    name: ident.unraw().to_string(),
                    attrs: attr::field(cx, &f.attrs),
                })
            })
            .collect(),
        Fields::Unit => Vec::new(),
        Fields::Unnamed(unnamed) => {
            let hint = match (ident, unnamed.unnamed.len()) {
                (Some(_), 1) => {
                    "; a variant that holds another message is `#[dingtalk(transparent)]`"
                }
                _ => "",
            };
            cx.error_at(
                unnamed.span(),
                format!(
                    "`#[derive(Message)]` needs named fields, which templates refer to by name{hint}"
                ),
            );
            Vec::new()
        }
    };

    let mut kinds = own.kinds.into_iter();
    let layout = match kinds.next() {
        None => {
            let kinds = KindName::ALL.map(|k| format!("`#[dingtalk({})]`", k.written()));
            let transparent = match ident {
                Some(_) => ", or `#[dingtalk(transparent)]` for a variant that holds a message",
                None => "",
            };
            Err(cx.error_at(
                span,
                format!(
                    "{what} has no layout: add one of {}{transparent}",
                    list(&kinds, "or")
                ),
            ))
        }
        Some(first) => {
            // The first is kept, and checked like any; the others are reported.
            for extra in kinds {
                cx.error_at(
                    extra.span,
                    format!(
                        "{what} has two layouts, `{}` and `{}`: a message has one kind",
                        first.name.as_str(),
                        extra.name.as_str()
                    ),
                );
            }
            layout(cx, first)
        }
    };
    let (layout, stray_buttons) = place_buttons(cx, layout, own.buttons);
    let (layout, stray_feed_links) = place_feed_links(cx, layout, own.feed_links);
    Variant {
        ident,
        span,
        fields,
        options,
        shape: Shape::Layout(Draft {
            layout,
            stray_buttons,
            stray_feed_links,
        }),
    }
}

/// What the enum says of every variant's message cannot be said of a `transparent` one, which
/// it does not make: one mistake per such option, naming those variants.
fn enum_options(cx: &Ctxt, outer: &LayoutAttrs, transparent: &[String]) {
    if transparent.is_empty() {
        return;
    }
    let (them, are) = match transparent {
        [one] => (format!("variant {one}"), "is"),
        _ => (format!("variants {}", list(transparent, "and")), "are"),
    };
    for (key, at) in &outer.options {
        if matches!(
            key.as_str(),
            "at_all" | "at_mobiles" | "at_user_ids" | "pc_slide" | "prefix"
        ) {
            let held = match key.as_str() {
                "prefix" => ", or on the message types the `transparent` ones hold",
                _ => "",
            };
            cx.error_at(
                *at,
                format!(
                    "`{key}` on the enum cannot apply to {them}, which {are} `transparent`: sent \
                     as the message their field holds; put `{key}` on the variants that have \
                     layouts{held}"
                ),
            );
        }
    }
}

/// The options of a variant: its own, and the enum's beside them.
fn options(own: &LayoutAttrs, outer: Option<&LayoutAttrs>) -> Options {
    let statics = |pick: fn(&LayoutAttrs) -> &Option<attr::Written<Vec<String>>>| {
        let inherited = outer.and_then(|o| pick(o).as_ref().map(|m| Static::new(m, true)));
        let mine = pick(own).as_ref().map(|m| Static::new(m, false));
        inherited.into_iter().chain(mine).collect()
    };
    Options {
        at_all: own
            .at_all
            .as_ref()
            .map(|a| Static::new(a, false))
            .or_else(|| outer.and_then(|o| o.at_all.as_ref().map(|a| Static::new(a, true)))),
        at_mobiles: statics(|a| &a.at_mobiles),
        at_user_ids: statics(|a| &a.at_user_ids),
        allow_unrendered_markdown: own.allow_unrendered_markdown
            || outer.is_some_and(|o| o.allow_unrendered_markdown),
        newlines: own
            .newlines
            .or(outer.and_then(|o| o.newlines))
            .unwrap_or_default(),
        pc_slide: own.pc_slide.or(outer.and_then(|o| o.pc_slide)),
        prefix: own
            .prefix
            .as_ref()
            .or(outer.and_then(|o| o.prefix.as_ref()))
            .map(|p| p.value.clone()),
    }
}

/// The field a `#[dingtalk(transparent)]` variant is sent as, or the proof that its mistakes
/// were reported.
fn transparent<'a>(
    cx: &Ctxt,
    what: &str,
    span: Span,
    fields: &'a Fields,
    own: &LayoutAttrs,
) -> Result<Transparent<'a>, Reported> {
    let mut reported = None;
    let mut error = |at: Span, message: String| {
        reported.get_or_insert(cx.error_at(at, message));
    };
    let sent_as = "is sent as the message its field holds";
    for kind in &own.kinds {
        error(
            kind.span,
            format!(
                "{what} is `transparent`: it {sent_as}, and takes no layout of its own; remove \
                 `{}` or `transparent`",
                kind.name.as_str()
            ),
        );
    }
    for (key, at) in &own.options {
        let held = match key.as_str() {
            "prefix" => "; put `prefix` on the field's type",
            _ => "",
        };
        error(
            *at,
            format!("`{key}` does not apply to {what}, which is `transparent`: it {sent_as}{held}"),
        );
    }
    let all: Vec<&syn::Field> = fields.iter().collect();
    let [field] = all[..] else {
        error(
            span,
            format!(
                "{what} is `transparent`, so it needs exactly one field, the message it is sent \
                 as; it has {}",
                all.len()
            ),
        );
        return Err(reported.expect("just reported"));
    };
    let message = "field flags need a layout, and a `transparent` variant has none: it is sent \
                   as this field's message";
    if attr::field(cx, &field.attrs).any() {
        let flags = field.attrs.iter().filter(|a| a.path().is_ident("dingtalk"));
        for flag in flags {
            reported.get_or_insert(cx.error(flag, message));
        }
    }
    if let Some(reported) = reported {
        return Err(reported);
    }
    let member = match &field.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(syn::Index {
            index: 0,
            span: field.ty.span(),
        }),
    };
    Ok(Transparent {
        member,
        ty: &field.ty,
    })
}

/// The layout of a kind as written, its templates parsed.
fn layout(cx: &Ctxt, written: KindAttr) -> Result<Layout<Parsed>, Reported> {
    let kind = written.kind?;
    Ok(Layout {
        kind: kind.map(|source, _, _| parse(cx, source, Names::Fields)),
        span: written.span,
    })
}

/// A layout that may not have been read.
type Drafted = Result<Layout<Parsed>, Reported>;

/// The layout with each button in the kind that takes it; those no kind takes are reported,
/// and returned beside it.
fn place_buttons(
    cx: &Ctxt,
    mut layout: Drafted,
    written: Vec<ButtonAttr>,
) -> (Drafted, Vec<(Button<Parsed>, Reported)>) {
    let mut stray = Vec::new();
    for ButtonAttr { span, button } in written {
        // A button with a part missing is reported already, and dropped.
        let Ok(button) = button else { continue };
        let button = button.map(|source, _, _| parse(cx, source, Names::Fields));
        match &mut layout {
            Ok(layout) => {
                let name = layout.kind.name();
                match layout.kind.buttons_mut() {
                    Some(buttons) => buttons.push(button),
                    None => {
                        let reported = cx.error_at(
                            span,
                            format!(
                                "`button` is only for `action_card`, not `{}`",
                                name.as_str()
                            ),
                        );
                        stray.push((button, reported));
                    }
                }
            }
            // The kind's own mistake, reported already.
            Err(reported) => stray.push((button, *reported)),
        }
    }
    (layout, stray)
}

/// The layout with each feed link in the kind that takes it; those no kind takes are
/// reported, and returned beside it.
fn place_feed_links(
    cx: &Ctxt,
    mut layout: Drafted,
    written: Vec<FeedLinkAttr>,
) -> (Drafted, Vec<(FeedLink<Parsed>, Reported)>) {
    let mut stray = Vec::new();
    for FeedLinkAttr { span, link } in written {
        // A link with a part missing is reported already, and dropped.
        let Ok(link) = link else { continue };
        let link = link.map(|source, _, _| parse(cx, source, Names::Fields));
        match &mut layout {
            Ok(layout) => {
                let name = layout.kind.name();
                match layout.kind.feed_links_mut() {
                    Some(links) => links.push(link),
                    None => {
                        let reported = cx.error_at(
                            span,
                            format!(
                                "`feed_link` is only for `feed_card`, not `{}`",
                                name.as_str()
                            ),
                        );
                        stray.push((link, reported));
                    }
                }
            }
            Err(reported) => stray.push((link, *reported)),
        }
    }
    (layout, stray)
}

/// Reads and parses a template whose names are `names`, reporting its mistakes at its literal.
pub(crate) fn parse(cx: &Ctxt, source: Source, names: Names) -> Parsed {
    let (lit, file, text) = match source {
        Source::Inline(lit) => {
            let text = lit.value();
            (lit, None, text)
        }
        Source::File(lit) => {
            let dir =
                std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
            let resolved = dir.join(lit.value());
            match std::fs::read_to_string(&resolved) {
                Ok(text) => (lit, Some(resolved), text),
                Err(e) => {
                    // Named as written: the literal's span shows where, and the path stays the
                    // same wherever the crate is built.
                    return Err(cx.error(
                        &lit,
                        format!(
                            "cannot read template `{}` (relative to the crate's directory): {e}",
                            lit.value()
                        ),
                    ));
                }
            }
        }
    };
    // Files written on Windows: one kind of line end.
    let text = text.replace("\r\n", "\n");
    let (nodes, errors) = template::parse(&text, names);
    let place = match &file {
        Some(_) => format!("in `{}`, ", lit.value()),
        None => String::new(),
    };
    let mut parsed = Ok(nodes);
    for e in errors {
        let near = near(&text, &e.range);
        parsed = Err(cx.error(&lit, format!("{place}{}, at `{near}`", e.message)));
    }
    parsed.map(|nodes| Template { lit, file, nodes })
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
