//! Operations endpoints outside Kafka Connect's API: `GET /metrics` (Prometheus text format
//! 0.0.4, see `runtime::metrics`) and `GET /ready` (200 `{"status":"ready"}`, or 503 with
//! `{"status","reason"}` while starting or stopping). `/health` stays Connect's (KIP-1017).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::runtime::metrics;
use crate::runtime::ConnectRuntime;

pub async fn metrics(rt: State<ConnectRuntime>) -> Response {
    let body = metrics::scrape(rt.shared());
    (
        [(
            header::CONTENT_TYPE,
            sluice_broker::metrics::expo::CONTENT_TYPE,
        )],
        body,
    )
        .into_response()
}

pub async fn ready(rt: State<ConnectRuntime>) -> Response {
    let r = metrics::readiness(rt.shared());
    let (code, body) = sluice_broker::metrics::http::readiness_body(
        r.as_ref().map(|_| ()).map_err(|(s, m)| (*s, m.as_str())),
    );
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
