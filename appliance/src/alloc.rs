//! The process allocator: mimalloc for small and medium blocks, glibc for large ones.
//!
//! A CDC catch-up allocates and frees a few dozen small blocks per row on two threads (the
//! binlog reader builds a record, the worker converts and drops it). glibc's allocator spent
//! about a third of the CPU there: cross-thread frees into the reader's arena, then fastbin
//! consolidation at every larger request. mimalloc's per-thread free lists handle that pattern
//! directly. Large blocks stay with glibc, which serves them from fresh mmap pages: sled's
//! zero-initialised caches are only resident once written, where mimalloc and jemalloc made
//! them resident at start (+20 MB idle, measured in docs/benchmarks.md).
//!
//! Every block is freed by the allocator that made it: Rust passes the block's layout to
//! `dealloc` and `realloc`, and the size decides.

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of at least this many bytes go to glibc.
const LARGE: usize = 256 * 1024;

pub struct Hybrid;

fn small(size: usize) -> bool {
    size < LARGE
}

// SAFETY: each method forwards to an allocator that upholds GlobalAlloc's contract; a block is
// always returned to the allocator that made it, since its size (part of the layout the caller
// must pass back) picks the allocator the same way at allocation and at release.
unsafe impl GlobalAlloc for Hybrid {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            MiMalloc.alloc(layout)
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            MiMalloc.alloc_zeroed(layout)
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if small(layout.size()) {
            MiMalloc.dealloc(ptr, layout)
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (small(layout.size()), small(new_size)) {
            (true, true) => MiMalloc.realloc(ptr, layout, new_size),
            (false, false) => System.realloc(ptr, layout, new_size),
            _ => {
                // Crossing the threshold moves the block to the other allocator.
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cross_the_threshold_both_ways_with_their_bytes() {
        let a = Hybrid;
        unsafe {
            let l = Layout::from_size_align(1000, 8).unwrap();
            let p = a.alloc(l);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            // small → large → small, the contents kept up to the smaller size.
            let p = a.realloc(p, l, LARGE + 10);
            let big = Layout::from_size_align(LARGE + 10, 8).unwrap();
            assert!((0..1000).all(|i| *p.add(i) == (i % 251) as u8));
            let p = a.realloc(p, big, 500);
            assert!((0..500).all(|i| *p.add(i) == (i % 251) as u8));
            a.dealloc(p, Layout::from_size_align(500, 8).unwrap());
            let z = a.alloc_zeroed(big);
            assert!((0..big.size()).all(|i| *z.add(i) == 0));
            a.dealloc(z, big);
        }
    }
}
