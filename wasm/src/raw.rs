//! The raw C-ABI for non-JS hosts (wasmtime). Pointers are wasm32 linear
//! memory offsets. None of these functions touches a JS import.
//!
//! - `omega_alloc(len) -> ptr`: `len` bytes (0 on failure);
//! - `omega_free(ptr, len)`: gives back what `omega_alloc` or `omega_call` returned;
//! - `omega_call(op, ptr, len) -> resp`: runs `op` on the request bytes and
//!   returns a buffer `status u32 LE | body length u32 LE | body`, which the
//!   host frees with `omega_free(resp, 8 + body length)`; 0 on allocation failure.
//!
//! A resident ECS run (issue 13): the world stays in this instance between
//! calls instead of travelling as a snapshot both ways per chunk. One
//! session per instance; the bodies are `omega_core::api::session::Slot`'s,
//! the same bytes the host's native kernel gives:
//!
//! - `omega_ecs_open(ptr, len) -> resp`: opens a session from op 19's request
//!   bytes (`start`, `ticks`, `events`, `mode`, `inject`; `ticks` and `mode`
//!   are checked, not used), replacing the open one (a refused open leaves
//!   none). Body: op 19's for 0 ticks in mode `summary`, or op 19's error.
//! - `omega_ecs_step(ticks_lo, ticks_hi, mode_ptr, mode_len) -> resp`: runs
//!   `ticks_hi << 32 | ticks_lo` more ticks; `mode` is op 19's mode field
//!   (`mode_len` 0: `reports`), read like a request (the host frees it). Body:
//!   op 19's for the whole run so far, `reports` holding this step's ticks
//!   only; 3301 when no session is open or the mode is unknown.
//! - `omega_ecs_close()`: drops the session, if any.
//!
//! The responses are buffers like `omega_call`'s.
use omega_core::api::abi::{self, Response};
use omega_core::api::session::Slot;
use std::alloc::{Layout, alloc, dealloc};
use std::cell::RefCell;

fn layout(len: u32) -> Option<Layout> {
    Layout::from_size_align(usize::try_from(len.max(1)).ok()?, 8).ok()
}

/// Allocates `len` bytes in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn omega_alloc(len: u32) -> u32 {
    match layout(len) {
        // SAFETY: the layout has a non-zero size.
        Some(l) => unsafe { alloc(l) as u32 },
        None => 0,
    }
}

/// Frees a buffer from `omega_alloc` or `omega_call`.
#[unsafe(no_mangle)]
pub extern "C" fn omega_free(ptr: u32, len: u32) {
    if ptr == 0 {
        return;
    }
    if let Some(l) = layout(len) {
        // SAFETY: the host passes back a pointer and length this module handed out.
        unsafe { dealloc(ptr as *mut u8, l) }
    }
}

/// The `len` bytes the host wrote at `ptr` (a buffer from `omega_alloc`).
fn input<'a>(ptr: u32, len: u32) -> &'a [u8] {
    if len == 0 || ptr == 0 {
        &[]
    } else {
        // SAFETY: the host wrote `len` bytes at `ptr`, a buffer from `omega_alloc`
        // it frees only after the call that reads them returns.
        unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) }
    }
}

/// Runs one op; see the module docs.
#[unsafe(no_mangle)]
pub extern "C" fn omega_call(op: u32, ptr: u32, len: u32) -> u32 {
    respond(&abi::call(op, input(ptr, len)))
}

thread_local! {
    /// This instance's ECS session (wasm32 is single-threaded).
    static ECS: RefCell<Slot> = const { RefCell::new(Slot::new()) };
}

/// Opens the ECS session; see the module docs.
#[unsafe(no_mangle)]
pub extern "C" fn omega_ecs_open(ptr: u32, len: u32) -> u32 {
    let resp = ECS.with(|s| s.borrow_mut().open(input(ptr, len)));
    respond(&resp)
}

/// Steps the ECS session; see the module docs.
#[unsafe(no_mangle)]
pub extern "C" fn omega_ecs_step(ticks_lo: u32, ticks_hi: u32, mode_ptr: u32, mode_len: u32) -> u32 {
    let ticks = (u64::from(ticks_hi) << 32) | u64::from(ticks_lo);
    let resp = ECS.with(|s| s.borrow_mut().step(ticks, input(mode_ptr, mode_len)));
    respond(&resp)
}

/// Closes the ECS session; see the module docs.
#[unsafe(no_mangle)]
pub extern "C" fn omega_ecs_close() {
    ECS.with(|s| s.borrow_mut().close());
}

/// A response as a buffer `status u32 LE | body length u32 LE | body` (0 on
/// allocation failure).
fn respond(resp: &Response) -> u32 {
    let body_len = u32::try_from(resp.body.len()).unwrap_or(u32::MAX);
    let total = body_len.saturating_add(8);
    let out = omega_alloc(total);
    if out == 0 {
        return 0;
    }
    // SAFETY: `out` points at `total` fresh bytes.
    let dst = unsafe { std::slice::from_raw_parts_mut(out as *mut u8, total as usize) };
    dst[..4].copy_from_slice(&u32::from(resp.status).to_le_bytes());
    dst[4..8].copy_from_slice(&body_len.to_le_bytes());
    dst[8..].copy_from_slice(&resp.body);
    out
}
