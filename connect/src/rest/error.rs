//! REST error bodies `{"error_code":<int>,"message":<string>}` (ConnectExceptionMapper), the JSON
//! body reader (415 without a JSON content type, 500 with the parse message for malformed JSON)
//! and query-string helpers with JAX-RS semantics (repeated keys, `Boolean.parseBoolean`).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::runtime::HerderError;

#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    pub status: u16,
    pub message: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: u16,
    message: Option<&'a str>,
}

impl RestError {
    pub fn new(status: u16, message: impl Into<String>) -> RestError {
        RestError {
            status,
            message: Some(message.into()),
        }
    }

    pub fn not_found_path() -> RestError {
        RestError::new(404, "HTTP 404 Not Found")
    }

    pub fn method_not_allowed() -> RestError {
        RestError::new(405, "HTTP 405 Method Not Allowed")
    }

    pub fn unsupported_media_type() -> RestError {
        RestError::new(415, "HTTP 415 Unsupported Media Type")
    }
}

impl From<HerderError> for RestError {
    fn from(e: HerderError) -> RestError {
        RestError::new(e.status(), e.to_string())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.status,
            message: self.message.as_deref(),
        };
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, &body)
    }
}

/// A JSON response with `Content-Type: application/json`.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            format!(r#"{{"error_code":500,"message":"{e}"}}"#),
        )
            .into_response(),
    }
}

/// Whether a Content-Type (if any) is acceptable to a `@Consumes(application/json)` resource.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.is_empty()
        || mime == "application/json"
        || mime.ends_with("+json")
        || mime == "*/*"
        || mime == "application/*"
}

/// Reads a JSON request body; malformed JSON is a 500 carrying the parser's message.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, RestError> {
    if !is_json_content_type(headers) {
        return Err(RestError::unsupported_media_type());
    }
    serde_json::from_slice(body).map_err(|e| RestError::new(500, e.to_string()))
}

/// All values of a query parameter, in order (percent-decoded).
pub fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
        .collect()
}

/// `Boolean.parseBoolean` of the first value, or the default when absent.
pub fn query_bool(query: Option<&str>, name: &str, default: bool) -> bool {
    match query_values(query, name).first() {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => default,
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Java `Map<String,String>` binding of a JSON object: numbers and booleans become strings;
/// null stays None; nested objects and arrays are rejected as Jackson does (500).
pub fn string_map(
    v: &serde_json::Value,
) -> Result<indexmap::IndexMap<String, Option<String>>, RestError> {
    let obj = v.as_object().ok_or_else(|| {
        RestError::new(
            500,
            "Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.String>` from non-object value",
        )
    })?;
    obj.iter()
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Object(_) => {
                    return Err(RestError::new(
                        500,
                        "Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`)",
                    ))
                }
                serde_json::Value::Array(_) => {
                    return Err(RestError::new(
                        500,
                        "Cannot deserialize value of type `java.lang.String` from Array value (token `JsonToken.START_ARRAY`)",
                    ))
                }
            };
            Ok((k.clone(), s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_semantics() {
        let q = Some("expand=status&expand=info&includeTasks=TRUE&x=%2Fa+b");
        assert_eq!(query_values(q, "expand"), vec!["status", "info"]);
        assert!(query_bool(q, "includeTasks", false));
        assert!(!query_bool(q, "onlyFailed", false));
        assert_eq!(query_values(q, "x"), vec!["/a b"]);
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(is_json_content_type(&h));
        h.insert(
            header::CONTENT_TYPE,
            "application/json; charset=UTF-8".parse().unwrap(),
        );
        assert!(is_json_content_type(&h));
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert!(!is_json_content_type(&h));
    }
}
