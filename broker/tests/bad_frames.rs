//! Hostile frames must produce errors, never panics or huge allocations.

use bytes::Bytes;
use sluice_broker::server::{decode_frame, Decoded, FrameError};

fn header(key: i16, version: i16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(key.to_be_bytes());
    f.extend(version.to_be_bytes());
    f.extend(7i32.to_be_bytes()); // correlation id
    f.extend((-1i16).to_be_bytes()); // null client id
    f
}

#[test]
fn huge_array_counts_do_not_allocate() {
    // Metadata v1 announcing 2^31-1 topics in a 14-byte body (this aborted the process when the
    // decoder reserved capacity for the announced count).
    let mut f = header(3, 1);
    f.extend(i32::MAX.to_be_bytes());
    assert!(matches!(
        decode_frame(Bytes::from(f)),
        Err(FrameError::Malformed { .. })
    ));
    // The flexible (compact) form: Metadata v9 with client id as nullable string and a varint count.
    let mut f = header(3, 9);
    f.push(0); // header tagged fields
    f.extend([0xff, 0xff, 0xff, 0xff, 0x0f]); // compact array count 2^32-1
    assert!(matches!(
        decode_frame(Bytes::from(f)),
        Err(FrameError::Malformed { .. })
    ));
}

#[test]
fn short_unknown_and_unsupported_frames_are_errors() {
    assert!(matches!(
        decode_frame(Bytes::from_static(&[0, 1])),
        Err(FrameError::Short(_))
    ));
    assert!(matches!(
        decode_frame(Bytes::from(header(999, 0))),
        Err(FrameError::UnknownApi(999))
    ));
    // Produce v2 is advertised (librdkafka needs v0 listed) but not served.
    assert!(matches!(
        decode_frame(Bytes::from(header(0, 2))),
        Err(FrameError::UnsupportedVersion { .. })
    ));
    // SaslHandshake is not offered.
    assert!(matches!(
        decode_frame(Bytes::from(header(17, 1))),
        Err(FrameError::NotOffered { .. })
    ));
}

#[test]
fn api_versions_above_max_gets_kip_511_answer() {
    let mut f = header(18, 127);
    f.push(0);
    match decode_frame(Bytes::from(f)) {
        Ok(Decoded::Immediate(b)) => {
            // correlation id, then error code 35
            assert_eq!(&b[0..4], &7i32.to_be_bytes());
            assert_eq!(&b[4..6], &35i16.to_be_bytes());
        }
        _ => panic!("expected an immediate UNSUPPORTED_VERSION answer"),
    }
}
