//! Copies of the logs the tests capture, for the suite-wide check that no
//! token, signature or secret is ever logged (`scripts/check-logs.py`).
//! Active only when `scripts/test.sh` sets `TEST_LOG_ARCHIVE` to a directory.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new file in the archive for one process's logs, if archiving is on.
pub fn log_file(name: &str) -> Option<File> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::var_os("TEST_LOG_ARCHIVE")?;
    std::fs::create_dir_all(&dir).ok()?;
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    let path =
        std::path::Path::new(&dir).join(format!("{name}-{}-{number}.log", std::process::id()));
    File::create(path).ok()
}
