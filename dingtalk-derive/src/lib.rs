//! Implementation detail of the [`dingtalk-bot`](https://docs.rs/dingtalk-bot) crate:
//! `#[derive(Message)]`. Its documentation is on `dingtalk_bot::Message`.
//!
//! One stage per file: `attr.rs` reads the attributes, `ast.rs` holds what they say,
//! `template.rs` parses templates, `valid.rs` checks layouts against DingTalk's rules,
//! `expand.rs` writes the impl, `fallback.rs` what stands beside errors.

mod ast;
mod attr;
mod expand;
mod fallback;
mod template;
mod valid;

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::ToTokens;

/// Derives `dingtalk_bot::Message` from a layout checked at compile time: the type's
/// `#[dingtalk(markdown(…))]`, `action_card(…)`, `text(…)` or `link(…)`, with templates that
/// name its fields. The grammar, the template language and the checks are described in the
/// `dingtalk-bot` crate's documentation, under "Notifications as types".
#[proc_macro_derive(Message, attributes(dingtalk))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input).into()
}

fn derive(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let cx = Ctxt::default();
    let ast = ast::Input::from_syn(&cx, input);
    let bodies = valid::check(&cx, &ast);
    match cx.into_error() {
        None => {
            let bodies: Vec<_> = bodies.into_iter().map(|b| b.expect("no errors")).collect();
            expand::expand(&ast, &bodies)
        }
        Some(error) => {
            let mut out = error.to_compile_error();
            out.extend(fallback::stub(&ast));
            out
        }
    }
}

/// Collects every error of one derive, so that all are reported together.
#[derive(Default)]
struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    fn error(&self, at: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(at, message));
    }

    fn error_at(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    fn into_error(self) -> Option<syn::Error> {
        self.errors.into_inner().into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        })
    }
}
