//! The `sluice` binary: parses flags, files and environment into typed configs, starts the broker
//! (and, later, the Connect runtime), and shuts down cleanly on SIGTERM or Ctrl-C.

mod alloc;
mod connectors_dir;
mod health;
mod settings;

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: alloc::Hybrid = alloc::Hybrid;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sluice",
    version,
    about = "A Kafka-compatible broker and Kafka Connect runtime in one small binary.",
    long_about = "Sluice speaks the Kafka wire protocol on 9092, so kafka-console-consumer, kcat and every Kafka client work unchanged.\n\nRun `sluice` to start a broker with data in ./data and the Connect REST API on 8083, `sluice broker` for the broker alone, `sluice connect` for the Connect runtime alone against an existing Kafka cluster (BOOTSTRAP_SERVERS=kafka:9092). Settings use Kafka's property names and can come from a properties file (--config), KAFKA_CFG_* environment variables (KAFKA_CFG_LOG_DIRS=/data) or --override key=value, later sources winning."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    broker: BrokerArgs,
    /// Log format: text or json (env SLUICE_LOG_FORMAT).
    #[arg(long, global = true, env = "SLUICE_LOG_FORMAT", default_value = "text")]
    log_format: String,
}

#[derive(clap::Args, Clone, Default)]
struct BrokerArgs {
    /// A Kafka server.properties-style file.
    #[arg(long = "config", value_name = "FILE", global = true)]
    config: Option<std::path::PathBuf>,
    /// Set one broker property, e.g. --override log.dirs=/var/lib/sluice (repeatable).
    #[arg(long = "override", value_name = "KEY=VALUE", global = true)]
    overrides: Vec<String>,
    /// A Kafka Connect worker properties file (connect-distributed.properties style).
    #[arg(long = "connect-config", value_name = "FILE", global = true)]
    connect_config: Option<std::path::PathBuf>,
    /// A directory of connector JSON files (POST /connectors bodies) created or updated at start
    /// (env SLUICE_CONNECTORS_DIR).
    #[arg(
        long = "connectors-dir",
        value_name = "DIR",
        global = true,
        env = "SLUICE_CONNECTORS_DIR"
    )]
    connectors_dir: Option<std::path::PathBuf>,
    /// Memory the caches and buffers may use together, in MB (default 128, for a 1 GB host
    /// shared with a database): the broker's metadata cache, request pool and fetch responses
    /// and the Connect tasks' queues and write buffers. Full buffers slow their writers down
    /// instead of growing. Same as sluice.memory.budget.mb (env SLUICE_MEMORY_BUDGET_MB).
    #[arg(
        long = "memory-budget-mb",
        value_name = "MB",
        global = true,
        env = "SLUICE_MEMORY_BUDGET_MB"
    )]
    memory_budget_mb: Option<u32>,
}

#[derive(Subcommand)]
enum Command {
    /// Run only the Kafka-protocol broker.
    Broker {
        /// Optional properties file, as kafka-server-start.sh accepts.
        #[arg(value_name = "server.properties")]
        file: Option<std::path::PathBuf>,
    },
    /// Run only the Connect runtime (REST API on 8083) against an existing Kafka cluster.
    #[command(
        long_about = "Run only the Kafka Connect runtime against an existing Kafka cluster; no broker is started.\n\nThe cluster comes from the worker setting bootstrap.servers (required): BOOTSTRAP_SERVERS=kafka:9092 (debezium/connect name), CONNECT_BOOTSTRAP_SERVERS, or bootstrap.servers in --connect-config worker.properties. Connector configs, offsets and statuses live in the cluster's connect-configs, connect-offsets and connect-status topics (GROUP_ID, CONFIG_STORAGE_TOPIC, OFFSET_STORAGE_TOPIC, STATUS_STORAGE_TOPIC), so a restarted worker picks up where it stopped. The REST API listens on CONNECT_LISTENERS (default http://0.0.0.0:8083).\n\nExample:\n  BOOTSTRAP_SERVERS=kafka:9092 sluice connect --connectors-dir /etc/sluice/connectors\n\nSluice stops with a one-line error naming bootstrap.servers when it is missing or the cluster does not answer within 10 s."
    )]
    Connect,
    /// Run the broker and a standalone Connect worker, like connect-standalone.sh: connector
    /// configs from files (.properties or .json), source offsets in offset.storage.file.filename.
    #[command(name = "connect-standalone")]
    ConnectStandalone {
        /// worker.properties
        worker: std::path::PathBuf,
        /// connector1.properties ...
        connectors: Vec<std::path::PathBuf>,
    },
    /// Exit 0 when the broker accepts connections and Connect reports healthy (HEALTHCHECK).
    Health {
        /// Broker address to connect to.
        #[arg(long, default_value = "127.0.0.1:9092")]
        broker: String,
        /// Connect REST address (host:port).
        #[arg(long = "connect", default_value = "127.0.0.1:8083")]
        connect_addr: String,
        /// Only check the broker (for `sluice broker`).
        #[arg(long, conflicts_with = "connect_only")]
        broker_only: bool,
        /// Check readiness (`GET /ready` answers 200) instead of liveness: on the Connect REST
        /// address, or with --broker-only on the sluice.metrics.listener address (--metrics).
        #[arg(long)]
        ready: bool,
        /// The broker's sluice.metrics.listener address (host:port), for --broker-only --ready.
        #[arg(long = "metrics", default_value = "127.0.0.1:9404")]
        metrics_addr: String,
        /// Only check Connect (for `sluice connect`, whose Kafka cluster is checked elsewhere).
        #[arg(long)]
        connect_only: bool,
    },
    /// Inspect a data directory.
    Storage {
        #[command(subcommand)]
        action: StorageCommand,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Check every batch's CRC, the indexes and the metadata of a data directory (read-only).
    Verify {
        /// The data directory (log.dirs).
        dir: std::path::PathBuf,
    },
}

fn verify(dir: &std::path::Path) -> ExitCode {
    let r = sluice_storage::verify::verify_dir(dir);
    println!(
        "{}: {} partitions, {} segments, {} batches, {} records, {} bytes; {} topics in metadata",
        dir.display(),
        r.partitions,
        r.segments,
        r.batches,
        r.records,
        r.bytes,
        r.topics_in_metadata
    );
    for p in &r.problems {
        println!(
            "PROBLEM {} @ byte {}: {}",
            p.file.display(),
            p.position,
            p.what
        );
    }
    if r.problems.is_empty() {
        println!("OK");
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s) found", r.problems.len());
        ExitCode::from(2)
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if format.eq_ignore_ascii_case("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    if let Some(Command::Health {
        broker,
        connect_addr,
        broker_only,
        ready,
        metrics_addr,
        connect_only,
    }) = &cli.command
    {
        let result = if *ready {
            let http = if *broker_only {
                metrics_addr
            } else {
                connect_addr
            };
            health::check_ready((!connect_only).then_some(broker.as_str()), http)
        } else {
            health::check(
                (!connect_only).then_some(broker.as_str()),
                (!broker_only).then_some(connect_addr.as_str()),
            )
        };
        return match result {
            Ok(m) => {
                println!("healthy: {m}");
                ExitCode::SUCCESS
            }
            Err(m) => {
                println!("unhealthy: {m}");
                ExitCode::from(1)
            }
        };
    }
    if let Some(Command::Storage {
        action: StorageCommand::Verify { dir },
    }) = &cli.command
    {
        return verify(dir);
    }
    let mut args = cli.broker.clone();
    if let Some(Command::Broker { file: Some(f) }) = &cli.command {
        args.config.get_or_insert(f.clone());
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sluice: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mode = match cli.command {
        Some(Command::Broker { .. }) => Mode::BrokerOnly,
        Some(Command::Connect) => Mode::ConnectOnly,
        Some(Command::ConnectStandalone { worker, connectors }) => {
            Mode::Standalone { worker, connectors }
        }
        _ => Mode::All,
    };
    match rt.block_on(run(args, mode)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            ExitCode::from(1)
        }
    }
}

enum Mode {
    BrokerOnly,
    /// `sluice connect`: the Connect runtime against an external cluster, no broker.
    ConnectOnly,
    All,
    Standalone {
        worker: std::path::PathBuf,
        connectors: Vec<std::path::PathBuf>,
    },
}

/// How long `sluice connect` waits for the external cluster to answer at start.
const EXTERNAL_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `sluice connect`: the Connect runtime alone, against the cluster named by bootstrap.servers.
async fn run_connect_only(args: BrokerArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let budget_mb = args.memory_budget_mb.map_or(128, i64::from);
    let budget = sluice_broker::config::memory_budget_bytes(budget_mb)
        .map_err(|e| anyhow::anyhow!("invalid setting {e}"))?;
    let share = sluice_broker::config::connect_share(budget);
    sluice_connect::runtime::memory::configure(share);
    tracing::info!(
        "memory budget {budget_mb} MB: Connect task buffers {} MB",
        share >> 20
    );
    if args.config.is_some() || !args.overrides.is_empty() {
        tracing::warn!("--config and --override set broker properties, which `sluice connect` does not use (it runs no broker); worker settings go in --connect-config or CONNECT_* variables");
    }
    let cfg = settings::external_connect_config(args.connect_config.as_deref(), std::env::vars())?;
    let servers = cfg.bootstrap_servers.join(",");
    let external = sluice_connect::kafka::external::ExternalKafka::connect(
        &cfg.bootstrap_servers,
        EXTERNAL_CONNECT_TIMEOUT,
    )
    .await
    .map_err(|e| anyhow::anyhow!("bootstrap.servers={servers}: cannot reach the Kafka cluster ({e}); check the address and that the cluster is up"))?;
    tracing::info!(bootstrap = %servers, cluster_id = %sluice_connect::kafka::KafkaAccess::cluster_id(&external), "connected to the Kafka cluster");
    let kafka: std::sync::Arc<dyn sluice_connect::kafka::KafkaAccess> =
        std::sync::Arc::new(external);
    let h = sluice_connect::runtime::ConnectRuntime::start(cfg, kafka)
        .await
        .map_err(|e| anyhow::anyhow!("Connect runtime failed to start: {e}"))?;
    tracing::info!(rest = ?h.rest_addrs(), startup_ms = started.elapsed().as_millis() as u64, "connect runtime ready (external Kafka cluster {servers})");
    if let Some(dir) = &args.connectors_dir {
        connectors_dir::apply(&h.runtime().herder, dir).await?;
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    h.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn run(args: BrokerArgs, mode: Mode) -> anyhow::Result<()> {
    if let Mode::ConnectOnly = mode {
        return run_connect_only(args).await;
    }
    let started = std::time::Instant::now();
    let mut overrides = args.overrides.clone();
    if let Some(mb) = args.memory_budget_mb {
        overrides.push(format!("sluice.memory.budget.mb={mb}"));
    }
    let config = settings::broker_config(args.config.as_deref(), &overrides, std::env::vars())?;
    sluice_connect::runtime::memory::configure(config.connect_pool_bytes());
    let mb = |n: u64| n as f64 / (1u64 << 20) as f64;
    tracing::info!(
        "memory budget {} MB: metadata cache {:.0} MB, request pool {}, fetch responses {:.0} MB at most, log cleaner {:.0} MB, Connect task buffers {:.0} MB",
        config.memory_budget_bytes >> 20,
        mb(config.metadata_cache_bytes),
        config
            .queued_max_request_bytes
            .map_or("unbounded".to_string(), |n| format!("{:.0} MB", mb(n as u64))),
        mb(config.fetch_max_bytes as u64),
        mb(config.cleaner_dedupe_buffer_bytes),
        mb(config.connect_pool_bytes() as u64),
    );
    let running = sluice_broker::start(config)
        .await
        .context("broker failed to start")?;
    tracing::info!(
        listeners = ?running.addrs,
        advertised = %format!("{}:{}", running.broker.config.advertised.host, running.broker.config.advertised.port),
        data = %running.broker.config.log_dir.display(),
        cluster_id = %running.broker.cluster_id,
        topics = running.broker.topics().len(),
        startup_ms = started.elapsed().as_millis() as u64,
        "sluice broker ready"
    );
    if let Some(addr) = running.metrics_addr {
        tracing::info!(%addr, "broker metrics on http://{addr}/metrics and /ready");
    }
    // One scrape of the Connect REST port also covers the in-process broker.
    let metrics = sluice_connect::runtime::metrics::global();
    let b = running.broker.clone();
    metrics.add_collector("broker", move |e| sluice_broker::metrics::render(&b, e));
    let kafka: std::sync::Arc<dyn sluice_connect::kafka::KafkaAccess> = std::sync::Arc::new(
        sluice_connect::kafka::embedded::EmbeddedKafka::new(running.broker.clone()),
    );
    let connect = match mode {
        Mode::BrokerOnly | Mode::ConnectOnly => None,
        Mode::All => {
            let cfg = sluice_connect::config::WorkerConfig::load(args.connect_config.as_deref())
                .map_err(|e| anyhow::anyhow!("invalid Connect worker setting {e}"))?;
            if let Some(dir) = &args.connectors_dir {
                metrics.hold_ready(
                    "connectors-dir",
                    &format!("creating the connectors in {}", dir.display()),
                );
            }
            let h = sluice_connect::runtime::ConnectRuntime::start(cfg, kafka)
                .await
                .map_err(|e| anyhow::anyhow!("Connect runtime failed to start: {e}"))?;
            tracing::info!(rest = ?h.rest_addrs(), "connect runtime ready");
            if let Some(dir) = &args.connectors_dir {
                connectors_dir::apply(&h.runtime().herder, dir).await?;
                metrics.release_ready("connectors-dir");
            }
            Some(h)
        }
        Mode::Standalone { worker, connectors } => {
            let cfg = sluice_connect::config::WorkerConfig::load(Some(&worker))
                .map_err(|e| anyhow::anyhow!("invalid Connect worker setting {e}"))?;
            let h = sluice_connect::runtime::run_standalone(cfg, kafka, &connectors)
                .await
                .map_err(|e| anyhow::anyhow!("connect-standalone failed: {e}"))?;
            tracing::info!(rest = ?h.rest_addrs(), connectors = connectors.len(), "connect-standalone ready");
            Some(h)
        }
    };
    wait_for_signal().await;
    tracing::info!("shutting down");
    metrics.hold_ready("shutdown", "Sluice is shutting down");
    if let Some(c) = connect {
        c.shutdown().await;
    }
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
