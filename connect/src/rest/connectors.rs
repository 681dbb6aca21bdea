//! /connectors resources (ConnectorsResource): list with ?expand, create, info, config
//! (GET/PUT/PATCH), status, tasks, restarts, pause/resume/stop, delete, topics and offsets.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map as JsonMap, Value as Json};

use super::error::{json_response, parse_body, query_bool, query_values, string_map, RestError};
use super::{ready, timed};
use crate::config::ConfigMap;
use crate::runtime::entities::ConnectorOffsets;
use crate::runtime::status::TargetState;
use crate::runtime::ConnectRuntime;

type Rt = State<ConnectRuntime>;

fn ok<T: serde::Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

/// JAX-RS returns 404 when an int path parameter does not parse.
fn task_id(s: &str) -> Result<u32, RestError> {
    s.parse().map_err(|_| RestError::not_found_path())
}

/// A config body: nulls are validation errors, as for Kafka's Map<String,String> binding.
fn config_from(v: &Json) -> Result<ConfigMap, RestError> {
    let map = string_map(v)?;
    let nulls = map.values().filter(|v| v.is_none()).count();
    if nulls > 0 {
        let mut m = format!(
            "Connector configuration is invalid and contains the following {nulls} error(s):"
        );
        for _ in 0..nulls {
            m.push_str("\nNull value can not be supplied as the configuration value.");
        }
        m.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        return Err(RestError::new(400, m));
    }
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

/// checkAndPutConnectorConfigName.
fn put_name(name: &str, config: &mut ConfigMap) -> Result<(), RestError> {
    if let Some(n) = config.get("name") {
        if n != name {
            return Err(RestError::new(
                400,
                format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})"),
            ));
        }
    } else {
        config.insert("name".into(), name.to_string());
    }
    Ok(())
}

fn location(headers: &HeaderMap, name: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:8083");
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("http://{host}/connectors/{encoded}")
}

pub async fn list(rt: Rt, RawQuery(q): RawQuery) -> Result<Response, RestError> {
    ready(&rt).await?;
    let herder = &rt.herder;
    let expand = query_values(q.as_deref(), "expand");
    let names = herder.connector_names();
    let (status, info) = (
        expand.iter().any(|e| e == "status"),
        expand.iter().any(|e| e == "info"),
    );
    if !status && !info {
        return Ok(ok(&names));
    }
    let mut out = JsonMap::new();
    for name in names {
        let mut entry = JsonMap::new();
        if status {
            match herder.connector_status(&name) {
                Ok(s) => {
                    entry.insert(
                        "status".into(),
                        serde_json::to_value(s).unwrap_or(Json::Null),
                    );
                }
                Err(_) => continue,
            }
        }
        if info {
            if let Ok(i) = herder.connector_info(&name) {
                entry.insert("info".into(), serde_json::to_value(i).unwrap_or(Json::Null));
            }
        }
        out.insert(name, Json::Object(entry));
    }
    Ok(ok(&out))
}

#[derive(Deserialize)]
struct CreateRequest {
    name: Option<String>,
    config: Option<Json>,
    initial_state: Option<String>,
}

pub async fn create(rt: Rt, headers: HeaderMap, body: Bytes) -> Result<Response, RestError> {
    let req: CreateRequest = parse_body(&headers, &body)?;
    ready(&rt).await?;
    let name = req.name.as_deref().unwrap_or("").trim().to_string();
    let initial_state = match req.initial_state.as_deref() {
        Some(s) => Some(TargetState::from_initial_state(s).ok_or_else(|| {
            RestError::new(
                500,
                format!("Cannot deserialize value of type `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest$InitialState` from String \"{s}\": not one of the values accepted for Enum class: [STOPPED, RUNNING, PAUSED]"),
            )
        })?),
        None => None,
    };
    let Some(config) = req.config.as_ref() else {
        return Err(RestError::new(
            500,
            "Cannot invoke \"java.util.Map.containsKey(Object)\" because \"configs\" is null",
        ));
    };
    let mut config = config_from(config)?;
    put_name(&name, &mut config)?;
    let (_, info) = timed(
        rt.herder
            .put_connector_config(&name, config, false, initial_state),
    )
    .await?;
    let mut resp = json_response(StatusCode::CREATED, &info);
    if let Ok(v) = location(&headers, &name).parse() {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

pub async fn info(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&rt.herder.connector_info(&name)?))
}

pub async fn get_config(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&crate::config::config_to_json(
        &rt.herder.connector_config(&name)?,
    )))
}

pub async fn put_config(
    rt: Rt,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let v: Json = parse_body(&headers, &body)?;
    ready(&rt).await?;
    let mut config = config_from(&v)?;
    put_name(&name, &mut config)?;
    let (created, info) = timed(rt.herder.put_connector_config(&name, config, true, None)).await?;
    if created {
        let mut resp = json_response(StatusCode::CREATED, &info);
        if let Ok(v) = location(&headers, &name).parse() {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Ok(resp)
    } else {
        Ok(ok(&info))
    }
}

pub async fn patch_config(
    rt: Rt,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let v: Json = parse_body(&headers, &body)?;
    ready(&rt).await?;
    let mut patch = string_map(&v)?;
    if let Some(Some(n)) = patch.get("name") {
        if *n != name {
            return Err(RestError::new(
                400,
                format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})"),
            ));
        }
    }
    patch.shift_remove("name");
    Ok(ok(
        &timed(rt.herder.patch_connector_config(&name, patch)).await?
    ))
}

pub async fn status(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&rt.herder.connector_status(&name)?))
}

pub async fn tasks(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&rt.herder.task_infos(&name)?))
}

pub async fn tasks_config(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&rt.herder.tasks_config(&name)?))
}

pub async fn task_status(
    rt: Rt,
    Path((name, task)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let id = task_id(&task)?;
    ready(&rt).await?;
    Ok(ok(&rt.herder.task_status(&name, id)?))
}

pub async fn restart_task(
    rt: Rt,
    Path((name, task)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let id = task_id(&task)?;
    ready(&rt).await?;
    timed(rt.herder.restart_task(&name, id)).await?;
    Ok(no_content())
}

pub async fn restart(
    rt: Rt,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RestError> {
    ready(&rt).await?;
    let include_tasks = query_bool(q.as_deref(), "includeTasks", false);
    let only_failed = query_bool(q.as_deref(), "onlyFailed", false);
    if !include_tasks && !only_failed {
        timed(rt.herder.restart_connector(&name)).await?;
        return Ok(no_content());
    }
    let state = timed(rt.herder.restart(&name, include_tasks, only_failed)).await?;
    Ok(json_response(StatusCode::ACCEPTED, &state))
}

pub async fn pause(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    timed(rt.herder.pause(&name)).await?;
    Ok(accepted())
}

pub async fn resume(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    timed(rt.herder.resume(&name)).await?;
    Ok(accepted())
}

pub async fn stop(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    timed(rt.herder.stop(&name)).await?;
    Ok(no_content())
}

pub async fn delete(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    timed(rt.herder.delete_connector(&name)).await?;
    Ok(no_content())
}

pub async fn topics(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&rt.herder.active_topics(&name)?))
}

pub async fn reset_topics(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    timed(rt.herder.reset_active_topics(&name)).await?;
    Ok(accepted())
}

pub async fn get_offsets(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&timed(rt.herder.offsets(&name)).await?))
}

pub async fn patch_offsets(
    rt: Rt,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let req: ConnectorOffsets = parse_body(&headers, &body)?;
    ready(&rt).await?;
    let offsets = req.offsets.unwrap_or_default();
    Ok(ok(
        &timed(rt.herder.alter_offsets(&name, Some(offsets))).await?
    ))
}

pub async fn delete_offsets(rt: Rt, Path(name): Path<String>) -> Result<Response, RestError> {
    ready(&rt).await?;
    Ok(ok(&timed(rt.herder.alter_offsets(&name, None)).await?))
}
