//! Compile-time diagnostics of `#[derive(Message)]`: one file per mistake in `tests/ui/`, with
//! the compiler's output checked in beside it. Regenerate with `TRYBUILD=overwrite`.
//!
//! The `.stderr` files hold what one toolchain prints, and another words its notes and
//! suggestions differently: they are compared only on [`TOOLCHAIN`], and skipped, with a line
//! saying so, on any other (set `DINGTALK_UI_TESTS=1` to compare anyway).

use std::process::Command;

/// The toolchain whose output `tests/ui/*.stderr` hold.
const TOOLCHAIN: &str = "1.95.";

#[test]
fn ui() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let pinned = version
        .strip_prefix("rustc ")
        .is_some_and(|v| v.starts_with(TOOLCHAIN));
    if !pinned && std::env::var_os("DINGTALK_UI_TESTS").is_none() {
        eprintln!(
            "skipped: tests/ui/*.stderr hold the output of rustc {TOOLCHAIN}x, this is {}",
            version.trim()
        );
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
