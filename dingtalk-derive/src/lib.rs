//! Implementation detail of the [`dingtalk-bot`](https://docs.rs/dingtalk-bot) crate:
//! `#[derive(Message)]` and `markdown!`. Their documentation is on `dingtalk_bot::Message` and
//! `dingtalk_bot::markdown!`, and their reference is the module `dingtalk_bot::_derive`.
//!
//! One stage per file: `attr.rs` reads the attributes as written, `template.rs` parses
//! templates, `ast.rs` builds the IR (reading and parsing every template once) in the shape
//! `kind.rs` gives each kind of message, `valid.rs` checks it against DingTalk's rules,
//! `expand.rs` writes the impl, `fallback.rs` what stands beside errors. `ctxt.rs` collects the
//! mistakes, so that all of them are reported at once. `markdown!` is one template through the
//! same stages.

#![deny(missing_docs, unreachable_pub)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod kind;
mod template;
mod valid;

use proc_macro::TokenStream;

use crate::ctxt::Ctxt;

/// Derives `dingtalk_bot::Message` from a layout checked at compile time: the type's
/// `#[dingtalk(markdown(…))]`, `action_card(…)`, `text(…)`, `link(…)` or `feed_card`, with
/// templates that name its fields, or `#[dingtalk(transparent)]` on an enum's variants.
///
/// The reference is the module [`dingtalk_bot::_derive`](_derive/index.html): every kind and
/// its parts, every attribute and the types it takes, the template language, escaping, line
/// breaks, mentions and the checks made when the program compiles, each with an example.
#[proc_macro_derive(Message, attributes(dingtalk))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input).into()
}

/// The template language, escaping, line breaks and checks of `markdown!` are the derive's:
/// its reference is [`dingtalk_bot::_derive`](_derive/index.html#the-markdown-macro).
#[proc_macro]
pub fn markdown(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as attr::MacroInput);
    markdown_macro(input.template).into()
}

/// `markdown!`: one template through the derive's stages, its names the caller's variables.
fn markdown_macro(lit: syn::LitStr) -> proc_macro2::TokenStream {
    let cx = Ctxt::default();
    let parsed = ast::parse(&cx, attr::Source::Inline(lit), template::Names::Variables);
    if let Ok(template) = &parsed {
        valid::markdown_macro(&cx, template);
    }
    // As for a derive: code only when nothing at all was reported.
    let complete = cx.check().and(parsed);
    let errors = cx.into_compile_errors();
    let text = match complete {
        Ok(template) => expand::markdown_macro(&template, &quote::quote!(::dingtalk_bot)),
        Err(_reported) => fallback::markdown_macro(),
    };
    quote::quote!({ #errors #text })
}

fn derive(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let cx = Ctxt::default();
    let draft = ast::Input::from_syn(&cx, input);
    valid::check(&cx, &draft);
    let header = draft.header.clone();
    // Code is generated only from an IR with no hole, and only when nothing at all was
    // reported: a mistake that left the IR whole (a duplicate key, a misplaced flag) still
    // stops it.
    let complete = cx.check().and_then(|()| draft.complete());
    let mut out = cx.into_compile_errors();
    out.extend(match complete {
        Ok(input) => expand::expand(&input),
        Err(_reported) => fallback::stub(&header),
    });
    out
}
