//! Writing to standard output, where a reader that went away is no failure.

use crate::exit::{Exit, Failure};

/// Writes to standard output. A reader that went away (`| head`) is no failure.
pub fn out(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            Exit::Tool,
            format!("cannot write to standard output: {e}"),
        )),
    }
}
