//! Compile-time diagnostics of `#[derive(Message)]`: one file per mistake in `tests/ui/`, with
//! the compiler's output checked in beside it. Regenerate with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
