//! The Kafka Connect 3.9 REST API on axum (§1): every endpoint, status code, body shape and
//! error message of Connect's Jersey resources. Handlers are thin: they parse, call the herder
//! and render; unknown paths are `HTTP 404 Not Found`, wrong methods `HTTP 405 ...`.

mod admin;
mod connectors;
pub mod error;
mod ops;
mod plugins;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;

use crate::runtime::ConnectRuntime;
use error::RestError;

/// Herder operations give up after this long (RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The whole API as a router (also handy for in-process tests).
pub fn router(runtime: ConnectRuntime) -> Router {
    Router::new()
        .route("/", get(admin::server_info))
        .route("/health", get(admin::health))
        .route("/metrics", get(ops::metrics))
        .route("/ready", get(ops::ready))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/{name}",
            get(connectors::info).delete(connectors::delete),
        )
        .route(
            "/connectors/{name}/config",
            get(connectors::get_config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route("/connectors/{name}/tasks", get(connectors::tasks))
        .route(
            "/connectors/{name}/tasks-config",
            get(connectors::tasks_config),
        )
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(connectors::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            axum::routing::post(connectors::restart_task),
        )
        .route(
            "/connectors/{name}/restart",
            axum::routing::post(connectors::restart),
        )
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route(
            "/connectors/{name}/topics/reset",
            put(connectors::reset_topics),
        )
        .route(
            "/connectors/{name}/offsets",
            get(connectors::get_offsets)
                .patch(connectors::patch_offsets)
                .delete(connectors::delete_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(plugins::validate),
        )
        .route("/admin/loggers", get(admin::loggers))
        .route(
            "/admin/loggers/{logger}",
            get(admin::logger).put(admin::set_logger),
        )
        .fallback(|| async { RestError::not_found_path() })
        .method_not_allowed_fallback(|| async { RestError::method_not_allowed() })
        .layer(middleware::from_fn(consumes_json))
        .with_state(runtime)
}

/// `@Consumes(application/json)` on the connector, plugin and logger resources: a request with
/// another Content-Type gets 415 (no Content-Type is fine).
async fn consumes_json(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let guarded = path.starts_with("/connectors")
        || path.starts_with("/connector-plugins")
        || path.starts_with("/admin");
    if guarded && !error::is_json_content_type(req.headers()) {
        return RestError::unsupported_media_type().into_response();
    }
    next.run(req).await
}

/// Serves the API on a bound listener until the runtime shuts down.
pub async fn serve(runtime: ConnectRuntime, listener: tokio::net::TcpListener) {
    let shared = runtime.shared().clone();
    let app = router(runtime);
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "REST server listening");
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shared.shutdown_signal().await })
        .await;
    if let Err(e) = result {
        tracing::error!("REST server stopped: {e}");
    }
}

/// Waits until start-up is done (requests during start-up queue as they do in Kafka).
async fn ready(rt: &State<ConnectRuntime>) -> Result<(), RestError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, rt.shared().wait_ready()).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(RestError::new(503, "Worker is shutting down.")),
        Err(_) => Err(RestError::new(
            500,
            "Request timed out. The worker is still starting up.",
        )),
    }
}

/// Runs a herder operation with the REST request timeout.
async fn timed<T>(
    fut: impl std::future::Future<Output = Result<T, crate::runtime::HerderError>>,
) -> Result<T, RestError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(r) => r.map_err(RestError::from),
        Err(_) => Err(RestError::new(500, "Request timed out")),
    }
}

#[cfg(test)]
mod tests;
