//! A lean Elasticsearch HTTP client: HTTP/1.1 on hyper 1 (already in the tree through axum),
//! rustls with the ring provider for HTTPS, a small connection pool per node, round-robin over
//! the `connection.url` nodes with failover on connection errors, basic auth or an API key,
//! optional gzip request bodies, connect and read timeouts.
//!
//! Why not the `elasticsearch` crate the design names: it is an 8.x alpha whose transport is
//! reqwest (with its own TLS stack, cookie/redirect/proxy layers and a large dependency tree,
//! roughly doubling the connect crate's dependency count), while the sink needs five
//! endpoints (`GET /`, `PUT /<index>`, `GET|PUT /<index>/_mapping`, `PUT /_data_stream/<n>`,
//! `POST /_bulk`) with raw NDJSON bodies, per-item result parsing that the crate leaves to
//! serde_json anyway, and precise control of retries and timeouts. hyper is already compiled
//! for the REST server, so the client adds only rustls + ring (HTTPS) and flate2 (gzip).
//!
//! TLS: `elastic.security.protocol=SSL` with a PEM truststore (`elastic.https.ssl.truststore.location`,
//! CA certificates) or, when unset, the system CA bundle; an optional PEM keystore (certificate
//! chain + unencrypted private key) for client authentication; an empty
//! `elastic.https.ssl.endpoint.identification.algorithm` disables hostname verification
//! (the chain is still verified). JKS/PKCS12 stores are not read.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::config::EsConfig;

/// One `connection.url` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path prefix without a trailing slash ("" or "/es").
    pub prefix: String,
}

impl Node {
    /// Parses `http://host:9200`, `https://host`, `host:9200` (http), with an optional path
    /// prefix; a trailing `/` is dropped.
    pub fn parse(url: &str) -> Result<Node, String> {
        let url = url.trim();
        let bad = |why: &str| format!("The provided url '{url}' is not a valid url: {why}");
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else if url.contains("://") {
            return Err(bad("the scheme must be http or https"));
        } else {
            (false, url)
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("junk after the IPv6 address")),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad("bad port"))?,
            None if https => 443,
            None => 80,
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad("bad host"));
        }
        Ok(Node {
            https,
            host,
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority(), self.prefix)
    }
}

/// A transport-level failure (no HTTP response): always worth retrying.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        let mut s = s.trim().to_string();
        if s.len() > 2000 {
            let mut cut = 2000;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push_str("...");
        }
        s
    }
}

/// A request body made of shared chunks (a bulk is sent from the records' encoded lines
/// without copying them into one buffer).
#[derive(Debug, Default)]
pub struct Chunks {
    chunks: std::collections::VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    pub fn new(chunks: Vec<Bytes>) -> Chunks {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Chunks {
            chunks: chunks.into(),
            remaining,
        }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        std::task::Poll::Ready(next.map(|b| {
            self.remaining = self.remaining.saturating_sub(b.len() as u64);
            Ok(http_body::Frame::data(b))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

type Sender = SendRequest<Chunks>;

/// The HTTP/1.1 handshake on a connected stream (TLS or plain); the connection is driven by a
/// task of its own.
async fn http1<S>(stream: S) -> Result<Sender, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

pub struct EsClient {
    nodes: Vec<Node>,
    next: AtomicUsize,
    pools: Vec<Mutex<Vec<(Instant, Sender)>>>,
    auth: Option<String>,
    tls: Option<tokio_rustls::TlsConnector>,
    connect_timeout: Duration,
    read_timeout: Duration,
    compression: bool,
    max_idle: Option<Duration>,
}

fn read_certs(path: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("Could not read the {what} '{path}' as PEM: {e}"))?
        .collect();
    let certs = certs.map_err(|e| format!("Could not read the {what} '{path}' as PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "The {what} '{path}' holds no PEM certificate (Sluice reads PEM files only; convert JKS/PKCS12 stores with keytool or openssl)."
        ));
    }
    Ok(certs)
}

/// The rustls configuration for `elastic.security.protocol=SSL` (None for PLAINTEXT).
pub fn tls_config(cfg: &EsConfig) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    if !cfg.ssl && !cfg.urls.iter().any(|u| u.trim().starts_with("https:")) {
        return Ok(None);
    }
    let mut roots = rustls::RootCertStore::empty();
    let (path, what) = match &cfg.truststore {
        Some(p) => (p.clone(), "trust store"),
        None => {
            let system = [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/cert.pem",
            ];
            match system.iter().find(|p| std::path::Path::new(p).exists()) {
                Some(p) => (p.to_string(), "system CA bundle"),
                None => return Err("No trust store configured and no system CA bundle found; set elastic.https.ssl.truststore.location to a PEM file.".into()),
            }
        }
    };
    for cert in read_certs(&path, what)? {
        roots
            .add(cert)
            .map_err(|e| format!("Bad certificate in the {what} '{path}': {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let roots = Arc::new(roots);
    let builder = if cfg.verify_hostname {
        builder.with_root_certificates(roots)
    } else {
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoHostnameVerifier(inner)))
    };
    let config = match &cfg.keystore {
        Some(ks) => {
            let certs = read_certs(ks, "key store")?;
            let key = PrivateKeyDer::from_pem_file(ks).map_err(|e| {
                format!("Could not read an unencrypted private key from the key store '{ks}': {e}")
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("Bad key store '{ks}': {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Some(Arc::new(config)))
}

/// Verifies the chain but accepts a certificate issued for another name
/// (`ssl.endpoint.identification.algorithm=""`).
#[derive(Debug)]
struct NoHostnameVerifier(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for NoHostnameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

impl EsClient {
    pub fn new(cfg: &EsConfig) -> Result<EsClient, String> {
        let mut nodes = cfg
            .urls
            .iter()
            .map(|u| Node::parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.is_empty() {
            return Err("connection.url has no URL".into());
        }
        // HTTPS for all nodes if any URL asks for it (as Confluent's client does).
        if cfg.ssl || nodes.iter().any(|n| n.https) {
            for n in &mut nodes {
                if !n.https && n.port == 80 {
                    n.port = 443;
                }
                n.https = true;
            }
        }
        let tls = tls_config(cfg)?.map(tokio_rustls::TlsConnector::from);
        let auth = match (&cfg.username, &cfg.password, &cfg.api_key) {
            (_, _, Some(key)) => Some(format!("ApiKey {key}")),
            (Some(u), Some(p), None) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )),
            _ => None,
        };
        let pools = nodes.iter().map(|_| Mutex::new(Vec::new())).collect();
        Ok(EsClient {
            nodes,
            next: AtomicUsize::new(0),
            pools,
            auth,
            tls,
            connect_timeout: Duration::from_millis(cfg.connection_timeout_ms.max(1)),
            read_timeout: Duration::from_millis(cfg.read_timeout_ms.max(1)),
            compression: cfg.compression,
            max_idle: u64::try_from(cfg.max_idle_ms)
                .ok()
                .map(Duration::from_millis),
        })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Sends one request, starting at the next node in round-robin order and moving to the
    /// following node on a connection failure (each node tried once). A response with any
    /// status is returned as is.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Response, TransportError> {
        self.request_chunks(method, path, body.map(|b| vec![b]))
            .await
    }

    /// [`EsClient::request`] with a body given as chunks.
    pub async fn request_chunks(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<Bytes>>,
    ) -> Result<Response, TransportError> {
        let body = match body {
            Some(chunks) if self.compression => {
                let mut all = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
                for c in &chunks {
                    all.extend_from_slice(c);
                }
                Some(vec![gzip(&all)])
            }
            other => other,
        };
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut errors = Vec::new();
        for i in 0..self.nodes.len() {
            let idx = (start + i) % self.nodes.len();
            match self.send_to(idx, method.clone(), path, body.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) => {
                    tracing::debug!(node = %self.nodes[idx], "Elasticsearch request failed: {e}");
                    errors.push(format!("{}: {e}", self.nodes[idx]));
                }
            }
        }
        Err(TransportError(errors.join("; ")))
    }

    /// A pooled connection (reused = true) or a new one.
    async fn connection(&self, idx: usize, fresh: bool) -> Result<(Sender, bool), String> {
        if !fresh {
            loop {
                let pooled = self.pools[idx].lock().pop();
                match pooled {
                    Some((at, mut s)) => {
                        if s.is_closed()
                            || self.max_idle.is_some_and(|m| at.elapsed() > m)
                            || s.ready().await.is_err()
                        {
                            continue;
                        }
                        return Ok((s, true));
                    }
                    None => break,
                }
            }
        }
        let node = &self.nodes[idx];
        let addr = (node.host.as_str(), node.port);
        let tcp = tokio::time::timeout(self.connect_timeout, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| {
                format!(
                    "connect timed out after {} ms",
                    self.connect_timeout.as_millis()
                )
            })?
            .map_err(|e| format!("connection refused or failed: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let sender = match (&self.tls, node.https) {
            (Some(tls), true) => {
                let name = ServerName::try_from(node.host.clone())
                    .map_err(|e| format!("invalid TLS server name {}: {e}", node.host))?;
                let stream = tokio::time::timeout(self.connect_timeout, tls.connect(name, tcp))
                    .await
                    .map_err(|_| "TLS handshake timed out".to_string())?
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                http1(stream).await?
            }
            (None, true) => return Err("HTTPS URL but TLS is not configured".into()),
            _ => http1(tcp).await?,
        };
        Ok((sender, false))
    }

    /// One request to node `idx`. A pooled connection the server closed while idle fails
    /// before any answer; the request is then sent once more on a new connection.
    async fn send_to(
        &self,
        idx: usize,
        method: Method,
        path: &str,
        body: Option<Vec<Bytes>>,
    ) -> Result<Response, String> {
        match self
            .send_once(idx, method.clone(), path, body.clone(), false)
            .await
        {
            Err((e, true)) => {
                tracing::debug!(node = %self.nodes[idx], "pooled connection failed ({e}), retrying on a new one");
                self.send_once(idx, method, path, body, true)
                    .await
                    .map_err(|(e, _)| e)
            }
            other => other.map_err(|(e, _)| e),
        }
    }

    /// Err carries whether the failure happened on a reused connection before any response.
    async fn send_once(
        &self,
        idx: usize,
        method: Method,
        path: &str,
        body: Option<Vec<Bytes>>,
        fresh: bool,
    ) -> Result<Response, (String, bool)> {
        let node = &self.nodes[idx];
        let (mut sender, reused) = self.connection(idx, fresh).await.map_err(|e| (e, false))?;
        let uri = format!("{}{}", node.prefix, path);
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", node.authority())
            .header("accept", "application/json");
        if let Some(chunks) = &body {
            let len: usize = chunks.iter().map(|c| c.len()).sum();
            req = req
                .header("content-type", "application/json")
                .header("content-length", len);
            if self.compression {
                req = req.header("content-encoding", "gzip");
            }
        }
        if let Some(a) = &self.auth {
            req = req.header("authorization", a);
        }
        let req = req
            .body(Chunks::new(body.unwrap_or_default()))
            .map_err(|e| (format!("bad request: {e}"), false))?;
        let read = async {
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| (format!("request failed: {e}"), reused))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| (format!("reading the response failed: {e}"), false))?
                .to_bytes();
            Ok::<_, (String, bool)>(Response { status, body })
        };
        let resp = tokio::time::timeout(self.read_timeout, read)
            .await
            .map_err(|_| {
                (
                    format!(
                        "no response within read.timeout.ms ({} ms)",
                        self.read_timeout.as_millis()
                    ),
                    false,
                )
            })??;
        self.pools[idx].lock().push((Instant::now(), sender));
        Ok(resp)
    }
}

fn gzip(b: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(b.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    if enc.write_all(b).is_err() {
        return Bytes::copy_from_slice(b);
    }
    enc.finish().map(Bytes::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            Node::parse("http://es:9200/").unwrap(),
            Node {
                https: false,
                host: "es".into(),
                port: 9200,
                prefix: String::new()
            }
        );
        let n = Node::parse("https://user@es.example/prefix/").unwrap();
        assert_eq!((n.https, n.port, n.prefix.as_str()), (true, 443, "/prefix"));
        assert_eq!(Node::parse("localhost:9201").unwrap().port, 9201);
        assert_eq!(Node::parse("[::1]:9200").unwrap().host, "::1");
        assert!(Node::parse("ftp://x").is_err());
        assert!(Node::parse("http://:9200").is_err());
        assert!(Node::parse("http://es:notaport").is_err());
        assert_eq!(
            Node::parse("http://es:9200").unwrap().to_string(),
            "http://es:9200"
        );
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let z = gzip(b"{\"a\":1}\n");
        let mut out = String::new();
        flate2::read::GzDecoder::new(&z[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "{\"a\":1}\n");
    }
}
