//! What is emitted beside errors: an impl whose body is never reached, so that one typo in a
//! layout does not also make every use of the type an error; for `markdown!`, a `String`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Header;

/// `impl Message` for the input, its body never reached.
pub(crate) fn stub(header: &Header<'_>) -> TokenStream {
    let Header {
        ident,
        generics,
        krate,
    } = header;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::Message for #ident #ty_generics #where_clause {
                fn to_payload(&self) -> #krate::__private::Payload {
                    ::core::unreachable!("`#[derive(Message)]` failed to compile")
                }
            }
        };
    }
}

/// What `markdown!` stands for beside its errors: a `String`, so that the code around it
/// compiles as it would.
pub(crate) fn markdown_macro() -> TokenStream {
    quote!(::std::string::String::new())
}
