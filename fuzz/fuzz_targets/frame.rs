//! Frame decoding: any byte string must decode to a request or an error, never panic or abort.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sluice_broker::server::decode_frame(bytes::Bytes::copy_from_slice(data));
});
