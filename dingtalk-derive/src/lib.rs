//! Implementation detail of the [`dingtalk`](https://docs.rs/dingtalk) crate: `#[derive(Message)]`.
//!
//! Only a skeleton so far: the derive itself is the next piece of work (it turns a notification
//! struct into a markdown, action-card, text or link message, its layout checked at compile
//! time). Until then it reports that it is not available, at the type that uses it.

use proc_macro::TokenStream;

/// Derives `dingtalk::Message` for a notification type. Not available yet: it reports a
/// compile error naming the type.
#[proc_macro_derive(Message, attributes(dingtalk))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    syn::Error::new_spanned(
        &input.ident,
        "`#[derive(Message)]` is not available yet in this version of `dingtalk`; \
         implement `dingtalk::Message` by hand, returning a `dingtalk::Payload`",
    )
    .to_compile_error()
    .into()
}
