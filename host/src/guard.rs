//! SIGBUS, turned into a clear error; SIGPIPE, left to end a command quietly.
//!
//! omega maps log files instead of reading them (zero copy). If another
//! program truncates a mapped file while omega reads it, the kernel raises
//! SIGBUS on the next access beyond the new end, which would kill the
//! process with no word of why. The handler installed here prints error
//! 3808 and exits with status 2 instead (nothing omega writes is ever done
//! through a map, so there is nothing to clean up). omega's own writers lock
//! the log exclusively and its readers share the lock, so this only happens
//! when something outside omega changes the file.
//!
//! Installed first thing in `main`, before wasmtime sets up its own trap
//! handlers: wasmtime chains to it for faults outside wasm code.

/// What the handler writes to standard error (a static string: only
/// async-signal-safe calls are allowed in a signal handler).
const MESSAGE: &[u8] = b"omega: error 3808: a file omega had mapped shrank while it was being read (bus error): \
another program truncated or replaced it. Nothing was written; run the command again once the file is no longer being changed\n";

extern "C" fn on_sigbus(_signal: libc::c_int) {
    // SAFETY: write(2) and _exit(2) are async-signal-safe; MESSAGE is static.
    unsafe {
        let _ = libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(2);
    }
}

/// Installs the SIGBUS handler (once, at start-up).
pub fn install() {
    // SAFETY: a zeroed sigaction is a valid value; the handler only calls
    // async-signal-safe functions.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut sa.sa_mask);
        let _ = libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
    }
}

/// Restores the default action of SIGPIPE, so that `omega ... | head` ends
/// quietly when `head` stops reading, as other Unix tools do, instead of
/// panicking on the write that fails (Rust programs start with SIGPIPE
/// ignored). Sockets are unaffected: Rust writes to them with MSG_NOSIGNAL.
pub fn default_sigpipe() {
    // SAFETY: setting a signal's action to SIG_DFL has no preconditions.
    unsafe {
        let _ = libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
