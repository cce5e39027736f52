//! The raw C-ABI for non-JS hosts (wasmtime). Pointers are wasm32 linear
//! memory offsets. None of these functions touches a JS import.
//!
//! - `omega_alloc(len) -> ptr`: `len` bytes (0 on failure);
//! - `omega_free(ptr, len)`: gives back what `omega_alloc` or `omega_call` returned;
//! - `omega_call(op, ptr, len) -> resp`: runs `op` on the request bytes and
//!   returns a buffer `status u32 LE | body length u32 LE | body`, which the
//!   host frees with `omega_free(resp, 8 + body length)`; 0 on allocation failure.
use omega_core::api::abi;
use std::alloc::{Layout, alloc, dealloc};

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

/// Runs one op; see the module docs.
#[unsafe(no_mangle)]
pub extern "C" fn omega_call(op: u32, ptr: u32, len: u32) -> u32 {
    let input: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: the host wrote `len` bytes at `ptr`, a buffer from `omega_alloc`.
        unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) }
    };
    let resp = abi::call(op, input);
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
