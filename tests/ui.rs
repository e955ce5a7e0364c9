//! Compile-time diagnostics of `#[derive(Message)]` and `markdown!`: one file per mistake in
//! `tests/ui/`, with the compiler's output checked in beside it. Regenerate with
//! `TRYBUILD=overwrite`.
//!
//! The `.stderr` files hold what one toolchain prints, and another words its notes and
//! suggestions differently: on any other toolchain the test is ignored, and says why (run it
//! there with `cargo test --test ui -- --ignored`).

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "tests/ui/*.stderr hold the output of rustc 1.95"
)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
