//! `sluice health`: the container HEALTHCHECK. Succeeds when the broker accepts connections and,
//! unless `--broker-only`, Connect's `GET /health` answers 200. Plain std networking, so the final
//! image needs no curl or shell. With `--ready`, `GET /ready` must answer 200 instead (on the
//! Connect REST port, or on `sluice.metrics.listener` for `sluice broker`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

fn connect(addr: &str) -> Result<TcpStream, String> {
    let sa = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    TcpStream::connect_timeout(&sa, Duration::from_secs(3)).map_err(|e| format!("{addr}: {e}"))
}

/// `GET path` over HTTP/1.0: (status code, body).
fn get(addr: &str, path: &str) -> Result<(String, String), String> {
    let mut s = connect(addr)?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp.split_whitespace().nth(1).unwrap_or("").to_string();
    let body = resp
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or("")
        .trim()
        .to_string();
    Ok((status, body))
}

/// The broker accepts connections and `GET /ready` on `http_addr` answers 200.
pub fn check_ready(broker: Option<&str>, http_addr: &str) -> Result<String, String> {
    if let Some(b) = broker {
        connect(b)?;
    }
    let (status, body) = get(http_addr, "/ready")?;
    if status == "200" {
        Ok(match broker {
            Some(b) => format!("broker {b} accepting connections; {http_addr} ready"),
            None => format!("{http_addr} ready"),
        })
    } else {
        Err(format!("{http_addr} /ready answered {status}: {body}"))
    }
}

/// `broker` None: Connect only (`sluice connect`, whose Kafka cluster is someone else's).
pub fn check(broker: Option<&str>, connect_addr: Option<&str>) -> Result<String, String> {
    let broker_ok = match broker {
        Some(b) => {
            connect(b)?;
            format!("broker {b} accepting connections")
        }
        None => "no broker checked".to_string(),
    };
    let Some(rest) = connect_addr else {
        return Ok(broker_ok);
    };
    let (status, body) = get(rest, "/health")?;
    if status == "200" {
        Ok(format!("{broker_ok}; Connect {rest} healthy"))
    } else {
        Err(format!("Connect {rest} /health answered {status}: {body}"))
    }
}
