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
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr};

use crate::attr::{self, ButtonAttr, FieldAttrs, KindAttr, LayoutAttrs, Source};
use crate::ctxt::{Ctxt, Reported};
use crate::kind::{Button, Kind, KindName, list};
use crate::template::{self, Node};

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

/// A struct, or one variant of an enum: its fields, its options and its layout `L`.
pub(crate) struct Variant<'a, L> {
    /// The variant's name; `None` for a struct.
    pub(crate) ident: Option<&'a Ident>,
    /// Where mistakes of the whole variant point.
    pub(crate) span: Span,
    pub(crate) fields: Vec<Field<'a>>,
    pub(crate) options: Options,
    pub(crate) layout: L,
}

/// What a layout says beside its kind; an enum's apply to each variant.
#[derive(Clone, Copy)]
pub(crate) struct Options {
    pub(crate) at_all: bool,
    pub(crate) allow_unrendered_markdown: bool,
    pub(crate) newlines: Newlines,
    pub(crate) pc_slide: Option<bool>,
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
                if let Some((_, reported)) = v.layout.stray_buttons.first() {
                    return Err(*reported);
                }
                let Layout { kind, span } = v.layout.layout?;
                Ok(Variant {
                    ident: v.ident,
                    span: v.span,
                    fields: v.fields,
                    options: v.options,
                    layout: Layout {
                        kind: kind.try_map(|part, _| part)?,
                        span,
                    },
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
/// layout with every template parsed.
fn variant<'a>(
    cx: &Ctxt,
    ident: Option<&'a Ident>,
    span: Span,
    fields: &'a Fields,
    own: LayoutAttrs,
    outer: Option<&LayoutAttrs>,
) -> Variant<'a, Draft> {
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
    let options = Options {
        at_all: own.at_all || outer.is_some_and(|o| o.at_all),
        allow_unrendered_markdown: own.allow_unrendered_markdown
            || outer.is_some_and(|o| o.allow_unrendered_markdown),
        newlines: own
            .newlines
            .or(outer.and_then(|o| o.newlines))
            .unwrap_or_default(),
        pc_slide: own.pc_slide.or(outer.and_then(|o| o.pc_slide)),
    };

    let mut kinds = own.kinds.into_iter();
    let layout = match kinds.next() {
        None => {
            let kinds = KindName::ALL.map(|k| format!("`#[dingtalk({}(…))]`", k.as_str()));
            Err(cx.error_at(
                span,
                format!("{what} has no layout: add one of {}", list(&kinds, "or")),
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
    Variant {
        ident,
        span,
        fields,
        options,
        layout: place_buttons(cx, layout, own.buttons),
    }
}

/// The layout of a kind as written, its templates parsed.
fn layout(cx: &Ctxt, written: KindAttr) -> Result<Layout<Parsed>, Reported> {
    let kind = written.kind?;
    Ok(Layout {
        kind: kind.map(|source, _| parse(cx, source)),
        span: written.span,
    })
}

/// The layout with each button in the kind that takes it; those no kind takes are reported.
fn place_buttons(
    cx: &Ctxt,
    mut layout: Result<Layout<Parsed>, Reported>,
    written: Vec<ButtonAttr>,
) -> Draft {
    let mut stray = Vec::new();
    for ButtonAttr { span, button } in written {
        // A button with a part missing is reported already, and dropped.
        let Ok(button) = button else { continue };
        let button = button.map(|source, _| parse(cx, source));
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
    Draft {
        layout,
        stray_buttons: stray,
    }
}

/// Reads and parses a template, reporting its mistakes at its literal.
fn parse(cx: &Ctxt, source: Source) -> Parsed {
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
    let (nodes, errors) = template::parse(&text);
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
