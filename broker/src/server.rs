//! The TCP side: accept connections, read size-prefixed frames (bounded by
//! socket.request.max.bytes), decode the header and body, dispatch, and write responses in
//! request order. Malformed input closes that connection with a log line; nothing panics.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::{Decodable, Encodable};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{self, api_versions, ClientInfo};
use crate::state::Broker;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {size} bytes exceeds socket.request.max.bytes ({max})")]
    TooLarge { size: i64, max: usize },
    #[error("frame too short for a request header ({0} bytes)")]
    Short(usize),
    #[error("unknown API key {0}")]
    UnknownApi(i16),
    #[error("{api:?} v{version} is not supported (supported {min}-{max})")]
    UnsupportedVersion {
        api: ApiKey,
        version: i16,
        min: i16,
        max: i16,
    },
    #[error("{api:?} is not offered by this broker")]
    NotOffered { api: ApiKey },
    #[error("malformed {api:?} v{version} request: {reason}")]
    Malformed {
        api: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("could not encode the response: {0}")]
    Encode(String),
}

/// Outcome of decoding a frame.
#[allow(clippy::large_enum_variant)] // built once per request and consumed at once
pub enum Decoded {
    Request {
        header: RequestHeader,
        api: ApiKey,
        version: i16,
        body: RequestKind,
    },
    /// Answer with this pre-encoded response (e.g. KIP-511 ApiVersions fallback).
    Immediate(Bytes),
}

/// Decodes one frame (without its length prefix). Pure, so it can be fuzzed.
pub fn decode_frame(frame: Bytes) -> Result<Decoded, FrameError> {
    if frame.len() < 8 {
        return Err(FrameError::Short(frame.len()));
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let api = ApiKey::try_from(key).map_err(|_| FrameError::UnknownApi(key))?;
    let Some((min, max)) = api::supported_range(api) else {
        return Err(FrameError::NotOffered { api });
    };
    if api == ApiKey::ApiVersions && (version > max || version < min) {
        // KIP-511: answer with a v0 response carrying UNSUPPORTED_VERSION and our table.
        let mut out = BytesMut::new();
        let mut h = ResponseHeader::default();
        h.correlation_id = correlation;
        h.encode(&mut out, 0)
            .map_err(|e| FrameError::Encode(e.to_string()))?;
        api_versions::unsupported_version_response()
            .encode(&mut out, 0)
            .map_err(|e| FrameError::Encode(e.to_string()))?;
        return Ok(Decoded::Immediate(out.freeze()));
    }
    let served_min = if api == ApiKey::Produce {
        api::PRODUCE_MIN_SERVED
    } else {
        min
    };
    if version < served_min || version > max {
        return Err(FrameError::UnsupportedVersion {
            api,
            version,
            min: served_min,
            max,
        });
    }
    let mut buf = frame;
    let malformed = |reason: String| FrameError::Malformed {
        api,
        version,
        reason,
    };
    let header = RequestHeader::decode(&mut buf, api.request_header_version(version))
        .map_err(|e| malformed(e.to_string()))?;
    let body =
        RequestKind::decode(api, &mut buf, version).map_err(|e| malformed(format!("{e:#}")))?;
    Ok(Decoded::Request {
        header,
        api,
        version,
        body,
    })
}

/// Encodes a response frame (with its length prefix).
pub fn encode_response(
    api: ApiKey,
    version: i16,
    correlation: i32,
    resp: &ResponseKind,
) -> Result<Bytes, FrameError> {
    let mut out = BytesMut::with_capacity(256);
    out.put_i32(0);
    let mut h = ResponseHeader::default();
    h.correlation_id = correlation;
    h.encode(&mut out, api.response_header_version(version))
        .map_err(|e| FrameError::Encode(e.to_string()))?;
    resp.encode(&mut out, version)
        .map_err(|e| FrameError::Encode(format!("{e:#}")))?;
    let len = (out.len() - 4) as i32;
    out[0..4].copy_from_slice(&len.to_be_bytes());
    Ok(out.freeze())
}

/// A request frame and the request-pool bytes it holds until answered.
type Frame = (Bytes, Option<tokio::sync::OwnedSemaphorePermit>);

async fn read_frame<R: AsyncRead + Unpin>(
    rd: &mut R,
    max: usize,
    pool: Option<&(Arc<tokio::sync::Semaphore>, usize)>,
) -> Result<Option<Frame>, std::io::Error> {
    let size = match rd.read_i32().await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    if size < 0 || size as usize > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            FrameError::TooLarge {
                size: size as i64,
                max,
            }
            .to_string(),
        ));
    }
    // queued.max.request.bytes: wait for room before reading the body (the client's writes
    // then back up in its socket: back-pressure). A frame larger than the pool takes all of it.
    let permit = match pool {
        Some((sem, total)) => {
            let n = (size as usize).clamp(1, *total) as u32;
            sem.clone().acquire_many_owned(n).await.ok()
        }
        None => None,
    };
    // Grow as bytes arrive rather than trusting the announced size up front.
    let mut buf = Vec::with_capacity((size as usize).min(64 * 1024));
    let n = rd.take(size as u64).read_to_end(&mut buf).await?;
    if n < size as usize {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("connection closed after {n} of {size} frame bytes"),
        ));
    }
    Ok(Some((Bytes::from(buf), permit)))
}

/// A response slot, written in request order by the connection's writer task.
enum Slot {
    Ready(Bytes),
    /// A produce waiting for its fdatasync; resolves to the encoded answer (None for acks=0).
    Pending(tokio::task::JoinHandle<Option<Bytes>>),
}

/// Requests decoded ahead of their answers on one connection (back-pressure beyond this).
const MAX_IN_FLIGHT: usize = 16;

async fn write_responses<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: tokio::sync::mpsc::Receiver<Slot>,
    peer: SocketAddr,
) {
    while let Some(slot) = rx.recv().await {
        let bytes = match slot {
            Slot::Ready(b) => Some(b),
            Slot::Pending(h) => match h.await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(%peer, error = %e, "produce completion failed; closing connection");
                    return;
                }
            },
        };
        if let Some(b) = bytes {
            if let Err(e) = wr.write_all(&b).await {
                tracing::debug!(%peer, error = %e, "write failed");
                return;
            }
        }
    }
}

fn framed(bytes: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(bytes.len() + 4);
    out.put_i32(bytes.len() as i32);
    out.extend_from_slice(bytes);
    out.freeze()
}

/// Handles one connection. Requests are decoded and applied strictly in order; only the
/// durability wait of a Produce runs concurrently with the next requests, and answers are
/// written in request order.
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    broker: Arc<Broker>,
    stream: S,
    peer: SocketAddr,
) {
    let (rd, wr) = tokio::io::split(stream);
    let mut rd = BufReader::with_capacity(64 * 1024, rd);
    let max = broker.config.socket_request_max_bytes;
    let pool = broker.request_pool.as_ref().map(|sem| {
        let total = broker
            .config
            .queued_max_request_bytes
            .unwrap_or(usize::MAX)
            .min(u32::MAX as usize);
        (sem.clone(), total)
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Slot>(MAX_IN_FLIGHT);
    let writer = tokio::spawn(write_responses(wr, rx, peer));
    loop {
        // `_held` keeps the request's pool bytes until it has been applied.
        let (frame, _held) = match read_frame(&mut rd, max, pool.as_ref()).await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "closing connection");
                break;
            }
        };
        let slot = match decode_frame(frame) {
            Ok(Decoded::Immediate(bytes)) => Some(Slot::Ready(framed(&bytes))),
            Ok(Decoded::Request {
                header,
                api,
                version,
                body,
            }) => {
                let correlation = header.correlation_id;
                let started = std::time::Instant::now();
                if let kafka_protocol::messages::RequestKind::Produce(req) = body {
                    let pending = api::produce::append(&broker, req, version);
                    let b = broker.clone();
                    Some(Slot::Pending(tokio::spawn(async move {
                        let resp = pending.finish().await;
                        b.metrics.request(api, started.elapsed());
                        let resp = resp?;
                        let kind = kafka_protocol::messages::ResponseKind::Produce(resp);
                        match encode_response(api, version, correlation, &kind) {
                            Ok(b) => Some(b),
                            Err(e) => {
                                tracing::error!(%peer, version, error = %e, "cannot encode a produce response");
                                None
                            }
                        }
                    })))
                } else {
                    let client = ClientInfo {
                        client_id: header
                            .client_id
                            .as_ref()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                        host: format!("/{}", peer.ip()),
                    };
                    let answer = api::dispatch(&broker, body, version, &client).await;
                    broker.metrics.request(api, started.elapsed());
                    match answer {
                        Ok(Some(resp)) => match encode_response(api, version, correlation, &resp) {
                            Ok(b) => Some(Slot::Ready(b)),
                            Err(e) => {
                                tracing::error!(%peer, ?api, version, error = %e, "closing connection");
                                break;
                            }
                        },
                        Ok(None) => None,
                        Err(e) => {
                            tracing::warn!(%peer, error = %e, "closing connection");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "closing connection");
                break;
            }
        };
        if let Some(slot) = slot {
            if tx.send(slot).await.is_err() {
                break;
            }
        }
    }
    // Let the writer flush answers already owed, then close.
    drop(tx);
    let _ = writer.await;
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    broker: Arc<Broker>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(broker.clone(), stream, peer));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Binds every configured listener.
pub async fn bind(broker: &Broker) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for l in &broker.config.listeners {
        let host = if l.host.is_empty() {
            "0.0.0.0"
        } else {
            l.host.as_str()
        };
        let addr = format!("{host}:{}", l.port);
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {addr} (listeners={}://{addr}): {e}",
                    l.name
                ),
            )
        })?;
        out.push(listener);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as i32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    #[tokio::test]
    async fn a_full_request_pool_holds_the_next_frame_back() {
        let sem = Arc::new(tokio::sync::Semaphore::new(100));
        let pool = (sem.clone(), 100usize);
        let mut input: &[u8] = &[frame(&[7u8; 60]), frame(&[8u8; 60])].concat();
        let (first, held) = read_frame(&mut input, 1 << 20, Some(&pool))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.len(), 60);
        assert_eq!(sem.available_permits(), 40);
        let mut rest = input.to_vec();
        let sem2 = sem.clone();
        let next = tokio::spawn(async move {
            let pool = (sem2, 100usize);
            let mut r: &[u8] = &rest;
            let got = read_frame(&mut r, 1 << 20, Some(&pool)).await;
            rest.clear();
            got.unwrap().unwrap().0.len()
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            !next.is_finished(),
            "the second frame must wait for pool room"
        );
        drop(held);
        assert_eq!(next.await.unwrap(), 60);
        assert_eq!(sem.available_permits(), 100);
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_pool_takes_all_of_it() {
        let sem = Arc::new(tokio::sync::Semaphore::new(10));
        let pool = (sem.clone(), 10usize);
        let mut input: &[u8] = &frame(&[1u8; 50]);
        let (f, held) = read_frame(&mut input, 1 << 20, Some(&pool))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((f.len(), sem.available_permits()), (50, 0));
        drop(held);
        assert_eq!(sem.available_permits(), 10);
    }
}
