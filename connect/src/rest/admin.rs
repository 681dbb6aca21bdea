//! Root, health and logger resources: GET / (ServerInfo), GET /health (WorkerStatus),
//! /admin/loggers (LoggingResource, levels kept in memory; cluster scope is also recorded in
//! the config topic).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map as JsonMap, Value as Json};

use super::error::{json_response, parse_body, query_values, RestError};
use crate::runtime::entities::{ServerInfo, WorkerStatus};
use crate::runtime::loggers::Loggers;
use crate::runtime::worker::now_ms;
use crate::runtime::ConnectRuntime;

type Rt = State<ConnectRuntime>;

pub const KAFKA_VERSION: &str = "3.9.0";

pub async fn server_info(rt: Rt) -> Response {
    let info = ServerInfo {
        version: KAFKA_VERSION.to_string(),
        commit: option_env!("SLUICE_GIT_SHA")
            .unwrap_or(env!("CARGO_PKG_VERSION"))
            .to_string(),
        kafka_cluster_id: rt.shared().kafka.cluster_id(),
    };
    json_response(StatusCode::OK, &info)
}

pub async fn health(rt: Rt) -> Response {
    if rt.shared().is_ready() {
        json_response(
            StatusCode::OK,
            &WorkerStatus {
                status: "healthy".into(),
                message: "Worker has completed startup and is ready to handle requests.".into(),
            },
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &WorkerStatus {
                status: "starting".into(),
                message: "Worker is still starting up.".into(),
            },
        )
    }
}

pub async fn loggers(rt: Rt) -> Response {
    let mut out = JsonMap::new();
    for (name, level) in rt.shared().loggers.all() {
        out.insert(name, serde_json::to_value(level).unwrap_or(Json::Null));
    }
    json_response(StatusCode::OK, &out)
}

pub async fn logger(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    let level = rt
        .shared()
        .loggers
        .level(&name)
        .ok_or_else(|| RestError::new(404, format!("Logger {name} not found.")))?;
    Ok(json_response(StatusCode::OK, &level))
}

pub async fn set_logger(
    rt: Rt,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let body: JsonMap<String, Json> = parse_body(&headers, &body)?;
    let Some(level_text) = body.get("level").and_then(|l| l.as_str()) else {
        return Err(RestError::new(
            400,
            "Desired 'level' parameter was not specified in the request.",
        ));
    };
    let level = Loggers::parse_level(level_text)
        .ok_or_else(|| RestError::new(404, format!("invalid log level '{level_text}'.")))?;
    let scope = query_values(q.as_deref(), "scope")
        .into_iter()
        .next()
        .unwrap_or_else(|| "worker".into());
    let shared = rt.shared();
    if scope.eq_ignore_ascii_case("cluster") {
        if let Err(e) = shared.configs.put_logger_level(&name, level).await {
            return Err(RestError::new(500, e.to_string()));
        }
        shared.loggers.set(&name, level, now_ms());
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if !scope.eq_ignore_ascii_case("worker") {
        tracing::warn!("Received invalid scope '{scope}' in request to adjust logging level; will default to worker");
    }
    let affected = shared.loggers.set(&name, level, now_ms());
    Ok(json_response(StatusCode::OK, &affected))
}
