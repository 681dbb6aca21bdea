//! ApiVersions: the advertised table. No tagged fields are sent (librdkafka < 2.1.1 misreads them).

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};

use super::SUPPORTED;

pub fn api_keys() -> Vec<ApiVersion> {
    SUPPORTED
        .iter()
        .map(|(k, lo, hi)| {
            let mut v = ApiVersion::default();
            v.api_key = *k as i16;
            v.min_version = *lo;
            v.max_version = *hi;
            v
        })
        .collect()
}

pub fn handle(_req: &ApiVersionsRequest, _version: i16) -> ApiVersionsResponse {
    let mut r = ApiVersionsResponse::default();
    r.api_keys = api_keys();
    r
}

/// The KIP-511 answer to an ApiVersions request above our maximum: a v0 response with
/// UNSUPPORTED_VERSION and the full table, so the client can retry at a version we speak.
pub fn unsupported_version_response() -> ApiVersionsResponse {
    let mut r = ApiVersionsResponse::default();
    r.error_code = kafka_protocol::error::ResponseError::UnsupportedVersion.code();
    r.api_keys = api_keys();
    r
}
