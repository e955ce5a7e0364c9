//! Where the mistakes of one derive are collected, so that all of them are reported at once.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// The mistakes found so far in one derive.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

/// Proof that a mistake was recorded in the [`Ctxt`]: only the `Ctxt` makes one. Whatever could
/// not be built because of a mistake holds this instead, so that nothing built from it can reach
/// code generation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reported {
    _private: (),
}

impl Ctxt {
    /// Records a mistake, pointing at `at`.
    pub(crate) fn error(&self, at: impl ToTokens, message: impl Display) -> Reported {
        self.push(syn::Error::new_spanned(at, message))
    }

    /// Records a mistake, pointing at `span`.
    pub(crate) fn error_at(&self, span: Span, message: impl Display) -> Reported {
        self.push(syn::Error::new(span, message))
    }

    /// Records a mistake syn found.
    pub(crate) fn push(&self, error: syn::Error) -> Reported {
        self.errors.borrow_mut().push(error);
        Reported { _private: () }
    }

    /// `Err` once any mistake is recorded.
    pub(crate) fn check(&self) -> Result<(), Reported> {
        if self.errors.borrow().is_empty() {
            Ok(())
        } else {
            Err(Reported { _private: () })
        }
    }

    /// Every mistake, as `compile_error!`s, in the order they were found.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_inner()
            .into_iter()
            .map(syn::Error::into_compile_error)
            .collect()
    }
}
