//! /connector-plugins resources (ConnectorPluginsResource): the plugin list (connectorsOnly),
//! a plugin's config definitions, and config validation (always 200, errors in the body).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value as Json;

use super::error::{json_response, parse_body, query_bool, string_map, RestError};
use super::{ready, timed};
use crate::config::ConfigMap;
use crate::runtime::{plugins, ConnectRuntime, Herder};

pub async fn list(RawQuery(q): RawQuery) -> Result<Response, RestError> {
    let connectors_only = query_bool(q.as_deref(), "connectorsOnly", true);
    Ok(json_response(
        StatusCode::OK,
        &plugins::list(connectors_only),
    ))
}

pub async fn config(Path(plugin): Path<String>) -> Result<Response, RestError> {
    Ok(json_response(StatusCode::OK, &plugins::config(&plugin)?))
}

pub async fn validate(
    rt: State<ConnectRuntime>,
    Path(plugin): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let v: Json = parse_body(&headers, &body)?;
    ready(&rt).await?;
    let mut config: ConfigMap = string_map(&v)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect();
    match config.get("connector.class") {
        Some(included) => {
            if !Herder::plugin_matches(included, &plugin) {
                return Err(RestError::new(
                    400,
                    format!(
                        "Included connector type {included} does not match request type {plugin}"
                    ),
                ));
            }
        }
        None => {
            config.insert("connector.class".into(), plugin.clone());
        }
    }
    let infos = timed(rt.herder.validate(&config)).await?;
    Ok(json_response(StatusCode::OK, &infos))
}
