"""Prometheus /metrics and /ready end to end: the appliance's REST port (broker + Connect metrics in one scrape)
and `sluice broker` with `sluice.metrics.listener`. Traffic comes from kcat; a tiny parser below reads the text
exposition format (0.0.4) and checks its structure (TYPE before samples, cumulative histogram buckets)."""
import http.client
import re
import subprocess

import pytest

from conftest import free_port
from connecthelpers import FILE_SINK, FILE_SOURCE, STRING_CONVERTER, Rest, read_lines, wait_for
from helpers import kcat, unique

TIMEOUT = 90

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text):
    """{(name, frozenset(labels)): value} plus {family: type}. Fails on any line it cannot read, on samples
    whose family has no TYPE, and on a family whose samples are not contiguous."""
    samples, types, seen_order = {}, {}, []
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in types, f"TYPE {name} twice"
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable sample line {line!r}"
        name, labels_text, value = m.groups()
        labels = {}
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = _LABEL.match(labels_text, pos)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)),
                                             lm.group(2))
                pos = lm.end()
        family = re.sub(r'_(bucket|sum|count)$', '', name) if name not in types else name
        assert family in types, f"sample {name} has no # TYPE line"
        if not seen_order or seen_order[-1] != family:
            assert family not in seen_order, f"family {family} is not contiguous"
            seen_order.append(family)
        samples[(name, frozenset(labels.items()))] = float(value)
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())))


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        conn.close()


def scrape(port):
    status, ctype, body = http_get(port, "/metrics")
    assert status == 200, body
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    return parse(body)


def check_histograms(samples, types):
    """Every histogram series: buckets cumulative, +Inf bucket == _count, _sum present."""
    checked = 0
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                d = dict(labels)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((float(le), v))
        for labels, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), f"{family}{dict(labels)} buckets not cumulative: {buckets}"
            assert buckets[-1][0] == float("inf")
            assert samples[(family + "_count", labels)] == counts[-1]
            assert (family + "_sum", labels) in samples
            checked += 1
    return checked


def produce(bootstrap, topic, lines):
    kcat("-b", bootstrap, "-P", "-t", topic, input="".join(line + "\n" for line in lines))


def topic_counters(samples, topic):
    return {k: value(samples, f"kafka_server_brokertopicmetrics_{k}_total", topic=topic)
            for k in ("bytesin", "messagesin", "bytesout", "messagesout")}


def segment_bytes(data_dir, topic):
    return sum(f.stat().st_size for f in (data_dir / f"{topic}-0").glob("*.log"))


def check_topic_traffic(bootstrap, data_dir, port, n_produced=10, n_group=4):
    """Produce with kcat, consume with kcat; the per-topic counters match; a group that committed `n_group`
    records lags by the rest."""
    topic = unique("metrics")
    lines = [f"record-{i:03d}" for i in range(n_produced)]
    produce(bootstrap, topic, lines)
    samples, _ = scrape(port)
    c = topic_counters(samples, topic)
    # Batches are stored byte for byte, so bytes in equals the partition's segment files.
    assert c["messagesin"] == n_produced, c
    assert c["bytesin"] == segment_bytes(data_dir, topic) > sum(map(len, lines)), c
    assert c["bytesout"] == 0 and c["messagesout"] == 0, c

    out = kcat("-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q").stdout.splitlines()
    assert out == lines
    samples, _ = scrape(port)
    c2 = topic_counters(samples, topic)
    assert c2["messagesout"] == n_produced, c2
    assert c2["bytesout"] == c["bytesin"], c2
    assert c2["messagesin"] == n_produced and c2["bytesin"] == c["bytesin"], c2
    assert value(samples, "kafka_topic_partition_current_offset", topic=topic, partition=0) == n_produced

    # A consumer group reads n_group records and commits them (kcat's balanced consumer commits on close).
    group = unique("metrics-group")
    got = kcat("-b", bootstrap, "-G", group, "-c", n_group, "-q", "-X", "auto.offset.reset=earliest",
               "-X", "enable.auto.offset.store=true", topic, timeout=60).stdout.splitlines()
    assert got == lines[:n_group]
    samples, _ = scrape(port)
    committed = value(samples, "kafka_consumergroup_current_offset", consumergroup=group, topic=topic, partition=0)
    assert committed == n_group, committed
    lag = value(samples, "kafka_consumergroup_lag", consumergroup=group, topic=topic, partition=0)
    assert lag == n_produced - n_group, lag

    for req in ("Produce", "Fetch", "Metadata", "OffsetCommit"):
        assert value(samples, "kafka_network_requestmetrics_requests_total", request=req) >= 1, req
        assert value(samples, "sluice_broker_request_duration_seconds_count", request=req) >= 1, req
    return samples


def test_appliance_metrics_and_readiness(connect, tmp_path):
    assert http_get(connect.rest_port, "/ready")[::2] == (200, '{"status":"ready"}')
    samples = check_topic_traffic(connect.bootstrap, connect.data_dir, connect.rest_port)
    _, types = scrape(connect.rest_port)
    assert check_histograms(*scrape(connect.rest_port)) >= 4
    assert types["kafka_consumergroup_lag"] == "gauge"
    assert types["kafka_server_brokertopicmetrics_bytesin_total"] == "counter"
    assert types["sluice_broker_request_duration_seconds"] == "histogram"
    assert value(samples, "process_resident_memory_bytes") > 1 << 20
    assert value(samples, "process_open_fds") > 3
    assert value(samples, "kafka_controller_kafkacontroller_globaltopiccount") >= 4  # + Connect's internal topics

    # A FileStream source and sink: their task counters move.
    rest = Rest(connect.rest_port)
    src_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    lines = ["alpha", "beta", "gamma", "delta", "epsilon"]
    src_file.write_text("".join(line + "\n" for line in lines))
    topic = unique("metrics-file")
    r = rest.create("msrc", {"connector.class": FILE_SOURCE, "file": str(src_file), "topic": topic,
                             "value.converter": STRING_CONVERTER})
    assert r.status == 201, r
    r = rest.create("msink", {"connector.class": FILE_SINK, "file": str(sink_file), "topics": topic,
                              "value.converter": STRING_CONVERTER})
    assert r.status == 201, r
    wait_for(lambda: read_lines(sink_file) == lines, TIMEOUT, "the sink file to hold the source lines")
    src = {"connector": "msrc", "task": 0, "type": "source"}
    sink = {"connector": "msink", "task": 0, "type": "sink"}

    def counters():
        s, _ = scrape(connect.rest_port)
        return s, {(who["connector"], what): value(s, f"sluice_connect_task_records_{what}_total", **who)
                   for who in (src, sink) for what in ("polled", "written")}

    want = {(c, w): len(lines) for c in ("msrc", "msink") for w in ("polled", "written")}
    wait_for(lambda: counters()[1] == want, TIMEOUT, f"task counters {want}")
    samples, _ = counters()
    assert value(samples, "sluice_connect_task_state", connector="msrc", task=0, state="RUNNING") == 1
    assert value(samples, "sluice_connect_task_state", connector="msrc", task=0, state="FAILED") == 0
    assert value(samples, "sluice_connect_connector_state", connector="msink", state="RUNNING") == 1
    assert value(samples, "sluice_connect_task_errors_total", stage="VALUE_CONVERTER", **sink) == 0
    # Offsets are committed every second (CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000): the age stays small.
    wait_for(lambda: 0 <= value(counters()[0], "sluice_connect_task_offset_commit_age_ms", **src) < 5000,
             TIMEOUT, "a recent source offset commit")
    # The file source's topic went through the broker's counters as well (in-process path).
    assert topic_counters(samples, topic)["messagesin"] == len(lines)
    assert topic_counters(samples, topic)["messagesout"] >= len(lines)

    p = subprocess.run([connect.bin, "health", "--ready", "--broker", connect.bootstrap,
                        "--connect", f"127.0.0.1:{connect.rest_port}"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ready" in p.stdout


METRICS_PORT = free_port()


@pytest.mark.broker_overrides({"sluice.metrics.listener": f"http://127.0.0.1:{METRICS_PORT}"})
def test_broker_metrics_listener(broker):
    assert http_get(METRICS_PORT, "/ready")[::2] == (200, '{"status":"ready"}')
    check_topic_traffic(broker.bootstrap, broker.data_dir, METRICS_PORT)
    assert check_histograms(*scrape(METRICS_PORT)) >= 4
    assert http_get(METRICS_PORT, "/nope")[0] == 404
    p = subprocess.run([broker.bin, "health", "--broker-only", "--ready", "--broker", broker.bootstrap,
                        "--metrics", f"127.0.0.1:{METRICS_PORT}"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr


def test_broker_without_listener_serves_no_metrics(broker):
    """`sluice broker` serves no metrics unless sluice.metrics.listener is set; `health --ready` says so."""
    port = free_port()
    p = subprocess.run([broker.bin, "health", "--broker-only", "--ready", "--broker", broker.bootstrap,
                        "--metrics", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "unhealthy" in p.stdout
