//! The broker's own metrics listener (`sluice.metrics.listener`, for `sluice broker` without
//! Connect): a minimal HTTP/1.x server answering `GET /metrics` (Prometheus text format) and
//! `GET /ready` (200 `{"status":"ready"}` once the partition logs are loaded, 503 with a reason
//! before that and while shutting down). One request per connection (`Connection: close`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::expo::{Exposition, CONTENT_TYPE};
use crate::state::Broker;

/// What the listener reports on: the broker once it is open.
#[derive(Default)]
pub struct Target {
    broker: OnceLock<Arc<Broker>>,
    stopping: AtomicBool,
}

impl Target {
    pub fn new() -> Arc<Target> {
        Arc::new(Target::default())
    }

    /// The broker has loaded its logs and is serving.
    pub fn set_broker(&self, b: Arc<Broker>) {
        let _ = self.broker.set(b);
    }

    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// `Ok(())` when ready, else the reason.
    pub fn readiness(&self) -> Result<(), (&'static str, &'static str)> {
        if self.stopping.load(Ordering::Acquire) {
            Err(("stopping", "the broker is shutting down"))
        } else if self.broker.get().is_none() {
            Err(("starting", "the broker is loading its partition logs"))
        } else {
            Ok(())
        }
    }

    fn metrics(&self) -> String {
        match self.broker.get() {
            Some(b) => super::scrape(b),
            None => {
                let mut e = Exposition::new();
                super::render_process(&mut e);
                e.finish()
            }
        }
    }
}

/// The JSON body of a readiness answer and its status code: 200 `{"status":"ready"}` or
/// 503 `{"status":"starting","reason":"..."}` (keys in this order).
pub fn readiness_body(r: Result<(), (&str, &str)>) -> (u16, String) {
    let js = |s: &str| serde_json::Value::from(s).to_string();
    match r {
        Ok(()) => (200, r#"{"status":"ready"}"#.to_string()),
        Err((status, reason)) => (
            503,
            format!(r#"{{"status":{},"reason":{}}}"#, js(status), js(reason)),
        ),
    }
}

/// Parses `sluice.metrics.listener` (`http://host:port`) into a bind address.
pub fn parse_listener(v: &str) -> Result<String, String> {
    let rest = v
        .trim()
        .strip_prefix("http://")
        .ok_or_else(|| format!("'{v}' must be http://host:port, e.g. http://0.0.0.0:9404"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("'{v}' has no port (expected http://host:port)"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("'{v}': port is not a number from 0 to 65535"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    if host.starts_with('[') {
        Ok(format!("{host}:{port}"))
    } else if host.contains(':') {
        Ok(format!("[{host}]:{port}"))
    } else {
        Ok(format!("{host}:{port}"))
    }
}

/// Serves until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    target: Arc<Target>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, target.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

async fn answer(mut s: TcpStream, target: Arc<Target>) {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return;
    }
    let text = String::from_utf8_lossy(&buf);
    let mut first = text.lines().next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("");
    let path = first.next().unwrap_or("").split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET", "/metrics") => (200, CONTENT_TYPE, target.metrics()),
        ("GET", "/ready") => {
            let (code, body) = readiness_body(target.readiness());
            (code, "application/json", body)
        }
        ("GET", _) => (
            404,
            "text/plain",
            "not found: try /metrics or /ready\n".into(),
        ),
        _ => (405, "text/plain", "method not allowed\n".into()),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes()).await;
    if method != "HEAD" {
        let _ = s.write_all(body.as_bytes()).await;
    }
    let _ = s.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_setting_parses() {
        assert_eq!(
            parse_listener("http://127.0.0.1:9404").unwrap(),
            "127.0.0.1:9404"
        );
        assert_eq!(parse_listener("http://:9404").unwrap(), "0.0.0.0:9404");
        assert_eq!(parse_listener("http://[::1]:9404").unwrap(), "[::1]:9404");
        assert!(parse_listener("127.0.0.1:9404").is_err());
        assert!(parse_listener("http://host").is_err());
        assert!(parse_listener("http://host:99999").is_err());
    }

    #[test]
    fn readiness_answers() {
        let t = Target::new();
        let (code, body) = readiness_body(t.readiness());
        assert_eq!(code, 503);
        assert!(body.contains("\"status\":\"starting\""), "{body}");
        t.set_stopping();
        assert_eq!(readiness_body(t.readiness()).0, 503);
        assert_eq!(
            readiness_body(Ok(())),
            (200, r#"{"status":"ready"}"#.into())
        );
    }
}
