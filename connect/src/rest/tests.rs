//! REST conformance: the real server on 127.0.0.1:0 over the in-memory Kafka, requests sent as
//! raw HTTP/1.1, status codes and bodies compared byte for byte with Kafka Connect's (field order
//! included) where the reference fixes them.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::runtime::tests::fake_kafka::MemoryKafka;
use crate::runtime::tests::{eventually, worker_config};
use crate::runtime::{ConnectRuntime, Handle};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        req.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

const JSON: Option<&str> = Some("application/json");

async fn get(addr: SocketAddr, path: &str) -> Reply {
    http(addr, "GET", path, None, "").await
}

async fn start() -> (Handle, SocketAddr, Arc<MemoryKafka>) {
    let kafka = Arc::new(MemoryKafka::new());
    let handle = ConnectRuntime::start(
        worker_config(&[("rest.advertised.host.name", "connect")]),
        kafka.clone(),
    )
    .await
    .unwrap_or_else(|e| panic!("start: {e}"));
    let addr = handle.rest_addrs()[0];
    (handle, addr, kafka)
}

fn worker(addr: SocketAddr) -> String {
    format!("connect:{}", addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_health_and_errors() {
    let (handle, addr, _k) = start().await;
    let r = get(addr, "/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(
        r.body.starts_with(r#"{"version":"3.9.0","commit":""#),
        "{}",
        r.body
    );
    assert!(
        r.body
            .ends_with(r#","kafka_cluster_id":"test-cluster-id"}"#),
        "{}",
        r.body
    );
    let r = get(addr, "/health").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}"#
        )
    );
    let r = get(addr, "/connectors").await;
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
    let r = get(addr, "/nope").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
    );
    let r = http(addr, "DELETE", "/connectors", None, "").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            405,
            r#"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#
        )
    );
    let r = http(
        addr,
        "POST",
        "/connectors",
        Some("application/x-www-form-urlencoded"),
        "name=x",
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            415,
            r#"{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}"#
        )
    );
    let r = http(addr, "PUT", "/connectors/x/pause", Some("text/plain"), "").await;
    assert_eq!(r.status, 415);
    let r = http(addr, "POST", "/connectors", JSON, r#"{"name":"x",}"#).await;
    assert_eq!(r.status, 500);
    assert!(
        r.body.starts_with(r#"{"error_code":500,"message":"#),
        "{}",
        r.body
    );
    let r = http(
        addr,
        "POST",
        "/connectors",
        JSON,
        r#"{"name":"x","config":{"topic":"t"}}"#,
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"error_code":400,"message":"Connector config {topic=t, name=x} contains no connector type"}"#
        )
    );
    let r = http(
        addr,
        "POST",
        "/connectors",
        JSON,
        r#"{"name":"x","config":{"connector.class":"com.example.Nope"}}"#,
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(r.body.contains("Failed to find any class that implements Connector and which name matches com.example.Nope, available connectors are: PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSourceConnector, name='org.apache.kafka.connect.file.FileStreamSourceConnector', version='3.9.0', encodedVersion=3.9.0, type=source, typeName='source', location='classpath'}"), "{}", r.body);
    let r = http(
        addr,
        "POST",
        "/connectors",
        JSON,
        r#"{"name":"x","config":{"connector.class":"FileStreamSource","tasks.max":0}}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"error_code":400,"message":"Connector configuration is invalid and contains the following 2 error(s):\nInvalid value 0 for configuration tasks.max: Value must be at least 1\nMissing required configuration \"topic\" which has no default value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"}"#
    );
    let r = http(
        addr,
        "POST",
        "/connectors",
        JSON,
        r#"{"name":"x","config":{"connector.class":"FileStreamSource","topic":null}}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(r#"contains the following 1 error(s):\nNull value can not be supplied as the configuration value.\n"#), "{}", r.body);
    let r = http(
        addr,
        "PUT",
        "/connectors/x/config",
        JSON,
        r#"{"name":"y","connector.class":"FileStreamSource","topic":"t"}"#,
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"error_code":400,"message":"Connector name configuration (y) doesn't match connector name in the URL (x)"}"#
        )
    );
    for (method, path, code, msg) in [
        ("GET", "/connectors/x", 404, "Connector x not found"),
        ("GET", "/connectors/x/config", 404, "Connector x not found"),
        ("GET", "/connectors/x/tasks", 404, "Connector x not found"),
        (
            "GET",
            "/connectors/x/status",
            404,
            "No status found for connector x",
        ),
        (
            "GET",
            "/connectors/x/tasks/0/status",
            404,
            "No status found for task x-0",
        ),
        (
            "GET",
            "/connectors/x/tasks/zero/status",
            404,
            "HTTP 404 Not Found",
        ),
        ("DELETE", "/connectors/x", 404, "Connector x not found"),
        ("PUT", "/connectors/x/pause", 404, "Unknown connector x"),
        ("PUT", "/connectors/x/resume", 404, "Unknown connector x"),
        ("PUT", "/connectors/x/stop", 404, "Unknown connector x"),
        (
            "POST",
            "/connectors/x/restart",
            404,
            "Connector x not found",
        ),
        (
            "POST",
            "/connectors/x/restart?includeTasks=true",
            404,
            "Unknown connector: x",
        ),
        (
            "POST",
            "/connectors/x/tasks/0/restart",
            404,
            "Unknown connector: x",
        ),
        ("GET", "/connectors/x/offsets", 404, "Connector x not found"),
        (
            "GET",
            "/connector-plugins/com.Nope/config",
            404,
            "Unknown plugin com.Nope.",
        ),
        (
            "GET",
            "/admin/loggers/org.nope",
            404,
            "Logger org.nope not found.",
        ),
    ] {
        let r = http(addr, method, path, None, "").await;
        assert_eq!(r.status, code, "{method} {path}: {}", r.body);
        assert_eq!(
            r.body,
            format!(r#"{{"error_code":{code},"message":"{msg}"}}"#),
            "{method} {path}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_crud_and_lifecycle() {
    let (handle, addr, kafka) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "hello\n").unwrap();
    let f = file.display().to_string();
    let body = format!(
        r#"{{"name":" src ","config":{{"connector.class":"FileStreamSource","file":"{f}","topic":"lines","tasks.max":1,"value.converter":"org.apache.kafka.connect.storage.StringConverter"}}}}"#
    );
    let r = http(addr, "POST", "/connectors", JSON, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("http://{addr}/connectors/src").as_str())
    );
    assert_eq!(
        r.body,
        format!(
            r#"{{"name":"src","config":{{"connector.class":"FileStreamSource","file":"{f}","topic":"lines","tasks.max":"1","value.converter":"org.apache.kafka.connect.storage.StringConverter","name":"src"}},"tasks":[],"type":"source"}}"#
        )
    );
    let r = http(addr, "POST", "/connectors", JSON, &body).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            409,
            r#"{"error_code":409,"message":"Connector src already exists"}"#
        )
    );
    let w = worker(addr);
    let running = format!(
        r#"{{"name":"src","connector":{{"state":"RUNNING","worker_id":"{w}"}},"tasks":[{{"id":0,"state":"RUNNING","worker_id":"{w}"}}],"type":"source"}}"#
    );
    let rt = handle.runtime().clone();
    eventually("running", || {
        rt.herder
            .connector_status("src")
            .map(|s| serde_json::to_string(&s).unwrap_or_default())
            .ok()
            == Some(running.clone())
    })
    .await;
    let r = get(addr, "/connectors/src/status").await;
    assert_eq!((r.status, r.body.as_str()), (200, running.as_str()));
    let r = get(addr, "/connectors/src/tasks/0/status").await;
    assert_eq!(
        r.body,
        format!(r#"{{"id":0,"state":"RUNNING","worker_id":"{w}"}}"#)
    );
    let r = get(addr, "/connectors/src/tasks").await;
    assert!(
        r.body.starts_with(
            r#"[{"id":{"connector":"src","task":0},"config":{"connector.class":"FileStreamSource""#
        ),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains(r#""task.class":"org.apache.kafka.connect.file.FileStreamSourceTask""#));
    let r = get(addr, "/connectors/src/tasks-config").await;
    assert!(
        r.body.starts_with(r#"{"src-0":{"connector.class""#),
        "{}",
        r.body
    );
    let r = get(addr, "/connectors/src").await;
    assert!(
        r.body
            .ends_with(r#""tasks":[{"connector":"src","task":0}],"type":"source"}"#),
        "{}",
        r.body
    );
    let r = get(addr, "/connectors?expand=status&expand=info").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        v["src"].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["status", "info"]
    );
    let r = get(addr, "/connectors?expand=bogus").await;
    assert_eq!(r.body, r#"["src"]"#);
    eventually("record", || kafka.values("lines").len() == 1).await;
    let r = get(addr, "/connectors/src/topics").await;
    assert_eq!(r.body, r#"{"src":{"topics":["lines"]}}"#);

    let r = http(
        addr,
        "PATCH",
        "/connectors/src/config",
        JSON,
        r#"{"topic":"lines2","value.converter":null}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = get(addr, "/connectors/src/config").await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"connector.class":"FileStreamSource","file":"{f}","topic":"lines2","tasks.max":"1","name":"src"}}"#
        )
    );
    let put = format!(
        r#"{{"connector.class":"FileStreamSource","file":"{f}","topic":"lines","value.converter":"org.apache.kafka.connect.storage.StringConverter"}}"#
    );
    let r = http(addr, "PUT", "/connectors/src/config", JSON, &put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http(addr, "PUT", "/connectors/other/config", JSON, &put).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("location").is_some());

    let r = http(addr, "PUT", "/connectors/src/pause", None, "").await;
    assert_eq!((r.status, r.body.as_str()), (202, ""));
    let r = http(addr, "PUT", "/connectors/src/resume", None, "").await;
    assert_eq!((r.status, r.body.as_str()), (202, ""));
    let r = http(addr, "POST", "/connectors/src/restart", None, "").await;
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    let r = http(
        addr,
        "POST",
        "/connectors/src/restart?includeTasks=true&onlyFailed=false",
        None,
        "",
    )
    .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        r.body,
        format!(
            r#"{{"name":"src","connector":{{"state":"RESTARTING","worker_id":"{w}"}},"tasks":[{{"id":0,"state":"RESTARTING","worker_id":"{w}"}}],"type":"source"}}"#
        )
    );
    let r = http(addr, "POST", "/connectors/src/tasks/0/restart", None, "").await;
    assert_eq!(r.status, 204);
    let r = http(addr, "POST", "/connectors/src/tasks/7/restart", None, "").await;
    assert_eq!(
        r.body,
        r#"{"error_code":404,"message":"Unknown task: src-7"}"#
    );
    let r = http(addr, "DELETE", "/connectors/src/offsets", None, "").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"error_code":400,"message":"Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint"}"#
    );
    let r = http(addr, "PUT", "/connectors/src/stop", None, "").await;
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    let r = get(addr, "/connectors/src/status").await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"name":"src","connector":{{"state":"STOPPED","worker_id":"{w}"}},"tasks":[],"type":"source"}}"#
        )
    );
    let r = get(addr, "/connectors/src/offsets").await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"offsets":[{{"partition":{{"filename":"{f}"}},"offset":{{"position":6}}}}]}}"#
        )
    );
    let r = http(
        addr,
        "PATCH",
        "/connectors/src/offsets",
        JSON,
        r#"{"offsets":[]}"#,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"error_code":400,"message":"Partitions / offsets need to be provided for an alter offsets request"}"#
    );
    let patch = format!(
        r#"{{"offsets":[{{"partition":{{"filename":"{f}"}},"offset":{{"position":0}}}}]}}"#
    );
    let r = http(addr, "PATCH", "/connectors/src/offsets", JSON, &patch).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"message":"The offsets for this connector have been altered successfully"}"#
        )
    );
    let r = http(addr, "DELETE", "/connectors/src/offsets", None, "").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"message":"The offsets for this connector have been reset successfully"}"#
        )
    );
    let r = http(addr, "PUT", "/connectors/src/topics/reset", None, "").await;
    assert_eq!(r.status, 202);
    assert_eq!(
        get(addr, "/connectors/src/topics").await.body,
        r#"{"src":{"topics":[]}}"#
    );
    let r = http(addr, "DELETE", "/connectors/src", None, "").await;
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(get(addr, "/connectors/src").await.status, 404);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_validation_and_loggers() {
    let (handle, addr, _k) = start().await;
    let r = get(addr, "/connector-plugins").await;
    assert_eq!(
        r.body,
        r#"[{"class":"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector","type":"sink","version":"15.1.3"},{"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink","version":"3.9.0"},{"class":"io.debezium.connector.mariadb.MariaDbConnector","type":"source","version":"3.4.3.Final"},{"class":"io.debezium.connector.mysql.MySqlConnector","type":"source","version":"3.4.3.Final"},{"class":"org.apache.kafka.connect.file.FileStreamSourceConnector","type":"source","version":"3.9.0"}]"#
    );
    let r = get(addr, "/connector-plugins?connectorsOnly=false").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let kinds: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["type"].as_str())
        .collect();
    for k in [
        "transformation",
        "predicate",
        "converter",
        "header_converter",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let r = get(addr, "/connector-plugins/FileStreamSource/config").await;
    assert!(r.body.starts_with(r#"[{"name":"file","type":"STRING","required":false,"default_value":null,"importance":"HIGH","documentation":"Source filename. If not specified, the standard input will be used","group":null,"width":"NONE","display_name":"file","dependents":[],"order":-1},{"name":"topic","type":"STRING","required":true,"default_value":null"#), "{}", r.body);
    assert!(r.body.contains(r#"{"name":"tasks.max","type":"INT","required":false,"default_value":"1","importance":"HIGH","documentation":"Maximum number of tasks to use for this connector.","group":"Common","width":"SHORT","display_name":"Tasks max","dependents":[],"order":3}"#));

    let body = r#"{"connector.class":"FileStreamSink","topics":"a","topics.regex":"b","transforms":"r","transforms.r.type":"org.apache.kafka.connect.transforms.RegexRouter","transforms.r.regex":"(","transforms.r.replacement":"x"}"#;
    let r = http(
        addr,
        "PUT",
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        JSON,
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["name"], "FileStreamSink");
    assert_eq!(
        v["groups"],
        serde_json::json!([
            "Common",
            "Transforms",
            "Predicates",
            "Error Handling",
            "Transforms: r"
        ])
    );
    let errors: Vec<(String, String)> = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let name = c["value"]["name"].as_str().unwrap_or("").to_string();
            c["value"]["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |e| (name.clone(), e.as_str().unwrap_or("").to_string()))
        })
        .collect();
    assert_eq!(v["error_count"], errors.len());
    assert!(errors.contains(&(
        "topics".into(),
        "topics and topics.regex are mutually exclusive options, but both are set.".into()
    )));
    assert!(errors.contains(&(
        "topics.regex".into(),
        "topics and topics.regex are mutually exclusive options, but both are set.".into()
    )));
    assert!(errors.contains(&(
        "name".into(),
        "Missing required configuration \"name\" which has no default value.".into()
    )));
    assert!(
        errors.iter().any(|(k, _)| k == "transforms.r.regex"),
        "{errors:?}"
    );
    let first = &v["configs"][0];
    assert_eq!(first["definition"]["name"], "name");
    assert_eq!(
        serde_json::to_string(&first["value"]).unwrap(),
        r#"{"name":"name","value":null,"recommended_values":[],"errors":["Missing required configuration \"name\" which has no default value."],"visible":true}"#
    );
    let r = http(
        addr,
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        JSON,
        r#"{"connector.class":"FileStreamSink"}"#,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"error_code":400,"message":"Included connector type FileStreamSink does not match request type FileStreamSource"}"#
    );
    let r = http(
        addr,
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        JSON,
        r#"{"name":"ok","topic":"t"}"#,
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (v["name"].as_str(), v["error_count"].as_u64()),
        (Some("FileStreamSource"), Some(0)),
        "{}",
        r.body
    );

    let r = get(addr, "/admin/loggers").await;
    assert_eq!(r.body, r#"{"root":{"level":"INFO","last_modified":null}}"#);
    let r = http(
        addr,
        "PUT",
        "/admin/loggers/org.foo",
        JSON,
        r#"{"level":"debug"}"#,
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (200, r#"["org.foo"]"#));
    let r = get(addr, "/admin/loggers/org.foo").await;
    assert!(
        r.body.starts_with(r#"{"level":"DEBUG","last_modified":"#),
        "{}",
        r.body
    );
    let r = http(
        addr,
        "PUT",
        "/admin/loggers/org.foo?scope=cluster",
        JSON,
        r#"{"level":"WARN"}"#,
    )
    .await;
    assert_eq!(r.status, 204);
    let r = http(
        addr,
        "PUT",
        "/admin/loggers/org.foo",
        JSON,
        r#"{"level":"loud"}"#,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"error_code":404,"message":"invalid log level 'loud'."}"#
    );
    let r = http(addr, "PUT", "/admin/loggers/org.foo", JSON, r#"{}"#).await;
    assert_eq!(
        r.body,
        r#"{"error_code":400,"message":"Desired 'level' parameter was not specified in the request."}"#
    );
    handle.shutdown().await;
}

/// The worked example of §11 (an Elasticsearch sink) passes the framework's validation and
/// reaches the connector's own, which connects to Elasticsearch (absent here) as Confluent's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_style_config_reaches_class_lookup() {
    let (handle, addr, _k) = start().await;
    let body = r#"{"name":"es-sink","config":{
      "connector.class":"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
      "topics":"mysql_cdc.inventory.customers","connection.url":"http://es:9200",
      "key.ignore":"true","schema.ignore":"true",
      "value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
      "transforms":"route","transforms.route.type":"org.apache.kafka.connect.transforms.RegexRouter",
      "transforms.route.regex":"mysql_cdc\\\\..*","transforms.route.replacement":"customers"}}"#;
    let r = http(addr, "POST", "/connectors", JSON, body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body
            .contains("Could not connect to Elasticsearch. Error message:"),
        "{}",
        r.body
    );
    handle.shutdown().await;
}

/// The value of the sample line starting with `series` (name and labels exactly).
fn sample(scrape: &str, series: &str) -> Option<i64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_readiness() {
    let (handle, addr, _k) = start().await;
    let r = get(addr, "/ready").await;
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":"ready"}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let src = format!(
        r#"{{"name":"msrc","config":{{"connector.class":"FileStreamSource","file":"{}","topic":"mlines","value.converter":"org.apache.kafka.connect.storage.StringConverter"}}}}"#,
        input.display()
    );
    assert_eq!(
        http(addr, "POST", "/connectors", JSON, &src).await.status,
        201
    );
    let sink = format!(
        r#"{{"name":"msink","config":{{"connector.class":"FileStreamSink","file":"{}","topics":"mlines","value.converter":"org.apache.kafka.connect.storage.StringConverter"}}}}"#,
        output.display()
    );
    assert_eq!(
        http(addr, "POST", "/connectors", JSON, &sink).await.status,
        201
    );
    let src_labels = r#"{connector="msrc",task="0",type="source"}"#;
    let sink_labels = r#"{connector="msink",task="0",type="sink"}"#;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let body = loop {
        let r = get(addr, "/metrics").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let done = sample(
            &r.body,
            &format!("sluice_connect_task_records_written_total{sink_labels}"),
        ) == Some(3);
        if done || tokio::time::Instant::now() > deadline {
            break r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for (series, want) in [
        (format!("sluice_connect_task_records_polled_total{src_labels}"), 3),
        (format!("sluice_connect_task_records_written_total{src_labels}"), 3),
        (format!("sluice_connect_task_records_polled_total{sink_labels}"), 3),
        (format!("sluice_connect_task_records_written_total{sink_labels}"), 3),
        (
            r#"sluice_connect_task_errors_total{connector="msrc",task="0",type="source",stage="VALUE_CONVERTER"}"#.to_string(),
            0,
        ),
        (
            r#"sluice_connect_task_state{connector="msrc",task="0",state="RUNNING"}"#.to_string(),
            1,
        ),
        (
            r#"sluice_connect_task_state{connector="msrc",task="0",state="FAILED"}"#.to_string(),
            0,
        ),
        (
            r#"sluice_connect_connector_state{connector="msink",state="RUNNING"}"#.to_string(),
            1,
        ),
    ] {
        assert_eq!(sample(&body, &series), Some(want), "{series} in\n{body}");
    }
    let age = sample(
        &body,
        &format!("sluice_connect_task_offset_commit_age_ms{src_labels}"),
    );
    assert!(matches!(age, Some(a) if a >= 0), "{body}");
    assert_eq!(
        body.matches("# TYPE sluice_connect_task_state gauge")
            .count(),
        1
    );

    // A readiness hold (the appliance's connectors directory) turns /ready to 503.
    crate::runtime::metrics::global().hold_ready("rest-test", "applying connector files");
    let r = get(addr, "/ready").await;
    crate::runtime::metrics::global().release_ready("rest-test");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.body,
        r#"{"status":"starting","reason":"applying connector files"}"#
    );
    assert_eq!(get(addr, "/ready").await.status, 200);
    handle.shutdown().await;
}
