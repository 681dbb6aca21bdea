//! Drop-behind for partition logs: data already on disk is dropped from the page cache once it
//! lies more than a window behind the end of the log.
//!
//! A log is written once and read mostly at its tail. Left to itself the kernel keeps every
//! written page until memory runs short and reclaim has to find them; on a small host that
//! pushes out the database's pages, and on virtual machines whose host takes back free memory
//! every page written into fresh memory costs a fault on the host. Measured on the 2-CPU test VM
//! (docs/operations.md): writing 3 GB with an fdatasync per 4 MB took 10.6 s with 8.4 s of
//! kernel CPU; dropping what lay 64 MB behind took 2.4 s with 0.9 s of kernel CPU.

use std::fs::File;

/// The largest page-cache folio (a PMD, 2 MiB on x86-64 and arm64 with 4 KiB pages).
const MAX_FOLIO: u64 = 2 << 20;

/// Tells the kernel that the bytes of `file` before `start + len` will not be needed soon.
///
/// The kernel only drops a folio (up to 2 MiB since large folios) lying wholly inside the range,
/// so ranges that follow one another, each starting in the middle of the folio the one before
/// ended in, would never drop that folio. The range therefore starts at `start` rounded down to
/// 2 MiB: callers pass ranges whose whole prefix may go. Only clean pages are dropped (call it
/// after the range is synced); errors are returned, never fatal.
pub fn drop_range(file: &File, start: u64, len: u64) -> std::io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let from = start & !(MAX_FOLIO - 1);
    imp::drop_range(file, from, start.saturating_add(len) - from)
}

/// The part of a synced file that drop-behind releases: `[from, end)` where `end` is `synced`
/// minus the `keep` window, rounded down to a page. None when nothing new lies behind the window.
pub fn behind_window(from: u64, synced: u64, keep: u64) -> Option<(u64, u64)> {
    const PAGE: u64 = 4096;
    let end = synced.checked_sub(keep)? & !(PAGE - 1);
    (end > from).then_some((from, end))
}

#[cfg(unix)]
mod imp {
    use std::os::fd::AsRawFd;

    pub fn drop_range(file: &std::fs::File, start: u64, len: u64) -> std::io::Result<()> {
        let (Ok(start), Ok(len)) = (i64::try_from(start), i64::try_from(len)) else {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
        };
        // SAFETY: posix_fadvise only reads its integer arguments; the descriptor stays open
        // for the call because `file` is borrowed.
        let rc =
            unsafe { libc::posix_fadvise(file.as_raw_fd(), start, len, libc::POSIX_FADV_DONTNEED) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(rc))
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn drop_range(_file: &std::fs::File, _start: u64, _len: u64) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_window_keeps_the_newest_bytes_and_whole_pages() {
        let mi = 1 << 20;
        assert_eq!(behind_window(0, 10 * mi, 64 * mi), None);
        assert_eq!(behind_window(0, 64 * mi, 64 * mi), None);
        assert_eq!(behind_window(0, 64 * mi + 5000, 64 * mi), Some((0, 4096)));
        assert_eq!(behind_window(4096, 64 * mi + 5000, 64 * mi), None);
        assert_eq!(
            behind_window(4096, 100 * mi + 1, 64 * mi),
            Some((4096, 36 * mi))
        );
    }

    #[test]
    fn dropping_a_synced_range_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut f = File::create(&path).unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        f.sync_data().unwrap();
        drop_range(&f, 0, 150_000).unwrap();
        drop_range(&f, 0, 0).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        assert!(drop_range(&f, i64::MAX as u64 + (4 << 20), 1).is_err());
    }
}
