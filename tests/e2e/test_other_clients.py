"""kcat (Debian's, librdkafka 2.0.2), confluent-kafka 2.16.1 (librdkafka 2.16.0) and kafka-python 3.0.12,
plus records crossing between clients."""
import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from helpers import Admin, consume_java, describe, kcat, produce_java, unique, wait_until

KCAT_FMT = "%p\\t%o\\t%k\\t%s\\n"


def kcat_records(text):
    out = []
    for line in text.splitlines():
        p, o, k, v = line.split("\t", 3)
        out.append({"partition": int(p), "offset": int(o), "key": k, "value": v})
    return out


def cleanup_group_lag(admin, group, topic, expected_parts):
    def done():
        d = admin.describe_group(group)
        offs = [o for o in d["offsets"] if o["topic"] == topic]
        return d if len(offs) == expected_parts and all(o["lag"] == "0" for o in offs) else None
    return wait_until(done, 60, interval=1, what=f"group {group} to commit to the end of {topic}")


# ----------------------------------------------------------------------------------------------- kcat

def test_kcat_metadata_produce_consume_and_group(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("kcat")
    admin.create_topic(topic, partitions=2)

    p = kcat("-b", broker.bootstrap, "-L", "-J", "-m", 30, check=False)
    assert p.returncode == 0, describe(p)
    md = json.loads(p.stdout)
    assert [b["name"] for b in md["brokers"]] == [f"127.0.0.1:{broker.port}"], md["brokers"]
    t = [t for t in md["topics"] if t["topic"] == topic]
    assert t and len(t[0]["partitions"]) == 2 and "error" not in t[0], t
    p = kcat("-b", broker.bootstrap, "-L", "-t", topic, check=False)
    assert p.returncode == 0 and f'topic "{topic}" with 2 partitions' in p.stdout, describe(p)

    n = 100
    values = [f"kcat-{i}-ü" for i in range(n)]
    p = kcat("-b", broker.bootstrap, "-P", "-t", topic, "-K", ":", input="".join(f"k{i}:{v}\n" for i, v in enumerate(values)),
             check=False)
    assert p.returncode == 0, describe(p)

    p = kcat("-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", KCAT_FMT, check=False)
    assert p.returncode == 0, describe(p)
    recs = kcat_records(p.stdout)
    assert sorted(r["value"] for r in recs) == sorted(values)
    assert all(r["key"] == "k" + r["value"].split("-")[1] for r in recs)
    hi = admin.offsets(topic, "latest")
    assert sum(o for o, _ in hi.values()) == n

    group = unique("kcat-grp")
    p = kcat("-b", broker.bootstrap, "-G", group, topic, "-X", "auto.offset.reset=earliest", "-c", n, "-f", KCAT_FMT,
             timeout=120, check=False)
    assert p.returncode == 0, describe(p)
    assert sorted(r["value"] for r in kcat_records(p.stdout)) == sorted(values)
    cleanup_group_lag(admin, group, topic, 2)


def test_cross_client_java_to_kcat_and_back(broker):
    admin = Admin(broker.bootstrap)
    t1, t2 = unique("x-java"), unique("x-kcat")
    admin.create_topic(t1, partitions=1)
    admin.create_topic(t2, partitions=1)
    values = [f"from-java-{i} 한글 🙂" for i in range(50)]
    produce_java(broker.bootstrap, t1, values)
    p = kcat("-b", broker.bootstrap, "-C", "-t", t1, "-o", "beginning", "-e", "-f", KCAT_FMT, check=False)
    assert p.returncode == 0, describe(p)
    assert [r["value"] for r in kcat_records(p.stdout)] == values
    assert [r["offset"] for r in kcat_records(p.stdout)] == list(range(50))

    values2 = [f"from-kcat-{i} 한글 🙂" for i in range(50)]
    p = kcat("-b", broker.bootstrap, "-P", "-t", t2, input="".join(v + "\n" for v in values2), check=False)
    assert p.returncode == 0, describe(p)
    recs = consume_java(broker.bootstrap, t2, 50)
    assert [r["value"] for r in recs] == values2
    assert [r["offset"] for r in recs] == list(range(50))


# ------------------------------------------------------------------------------------ confluent-kafka

def ck_conf(broker, **extra):
    c = {"bootstrap.servers": broker.bootstrap, "client.id": "sluice-e2e-ck"}
    c.update(extra)
    return c


def ck_produce(broker, topic, n, **conf):
    p = Producer(ck_conf(broker, **conf))
    errs, acks = [], []

    def cb(err, msg):
        if err:
            errs.append(str(err))
        else:
            acks.append((msg.partition(), msg.offset()))

    values = [f"ck-{i}-" + "x" * (i % 50) for i in range(n)]
    for i, v in enumerate(values):
        p.produce(topic, key=f"k{i}", value=v, on_delivery=cb)
        p.poll(0)
    left = p.flush(60)
    assert left == 0 and not errs and len(acks) == n, f"undelivered={left} errors={errs[:3]} acked={len(acks)}"
    return values, acks


def ck_consume_assigned(broker, topic, partitions, n, timeout=60):
    c = Consumer(ck_conf(broker, **{"group.id": unique("ck-assign"), "enable.auto.commit": False,
                                    "auto.offset.reset": "earliest"}))
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        got, deadline = [], time.time() + timeout
        while len(got) < n and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            assert not m.error(), m.error()
            got.append(m)
        return got
    finally:
        c.close()


def test_confluent_metadata_and_describe_cluster(broker):
    topic = unique("ck-md")
    Admin(broker.bootstrap).create_topic(topic, partitions=4)
    ac = AdminClient(ck_conf(broker))
    md = ac.list_topics(timeout=30)
    assert md.cluster_id, "metadata has no cluster id"
    assert [(b.host, b.port) for b in md.brokers.values()] == [("127.0.0.1", broker.port)]
    assert topic in md.topics and md.topics[topic].error is None
    assert sorted(md.topics[topic].partitions) == [0, 1, 2, 3]
    assert all(p.leader == md.controller_id or p.leader in md.brokers for p in md.topics[topic].partitions.values())
    d = ac.describe_cluster(request_timeout=30).result(timeout=60)
    assert d.cluster_id == md.cluster_id
    assert [(n.host, n.port) for n in d.nodes] == [("127.0.0.1", broker.port)]
    assert d.controller is not None


def test_confluent_idempotent_produce_group_consume_and_watermarks(broker):
    topic = unique("ck-idem")
    Admin(broker.bootstrap).create_topic(topic, partitions=3)
    n = 300
    values, acks = ck_produce(broker, topic, n, **{"enable.idempotence": True})
    per_part = {}
    for p, o in acks:
        per_part.setdefault(p, []).append(o)
    for p, offs in per_part.items():
        assert sorted(offs) == list(range(len(offs))), f"partition {p}: offsets not dense"

    probe = Consumer(ck_conf(broker, **{"group.id": unique("ck-wm")}))
    try:
        for p in range(3):
            lo, hi = probe.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            assert (lo, hi) == (0, len(per_part.get(p, []))), f"partition {p}: watermarks {(lo, hi)}"
    finally:
        probe.close()

    group = unique("ck-grp")
    c = Consumer(ck_conf(broker, **{"group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    got = []
    try:
        c.subscribe([topic])
        deadline = time.time() + 90
        while len(got) < n and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            assert not m.error(), m.error()
            got.append(m.value().decode())
        c.commit(asynchronous=False)
        committed = c.committed([TopicPartition(topic, p) for p in range(3)], timeout=30)
    finally:
        c.close()
    assert sorted(got) == sorted(values)
    assert {tp.partition: tp.offset for tp in committed} == {p: len(per_part.get(p, [])) for p in range(3)}


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_confluent_compressed_produce(broker, codec):
    topic = unique(f"ck-{codec}")
    Admin(broker.bootstrap).create_topic(topic, partitions=1)
    n = 400
    values, acks = ck_produce(broker, topic, n, **{"enable.idempotence": True, "compression.type": codec,
                                                    "linger.ms": 100, "batch.num.messages": 100})
    assert sorted(o for _, o in acks) == list(range(n))
    msgs = ck_consume_assigned(broker, topic, 1, n)
    assert [m.value().decode() for m in msgs] == values
    assert [m.offset() for m in msgs] == list(range(n))
    # And the Java client decodes the same batches.
    recs = consume_java(broker.bootstrap, topic, n)
    assert [r["value"] for r in recs] == values
    assert Admin(broker.bootstrap).offsets(topic, "latest")[0][0] == n


# -------------------------------------------------------------------------------------- kafka-python

def test_kafka_python_metadata_cluster_idempotent_produce_group_consume(broker):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition as KTP

    topic = unique("kp")
    Admin(broker.bootstrap).create_topic(topic, partitions=2)
    ad = KafkaAdminClient(bootstrap_servers=broker.bootstrap, client_id="sluice-e2e-kp", request_timeout_ms=30000)
    try:
        assert topic in ad.list_topics()
        desc = ad.describe_topics([topic])
        assert len(desc) == 1 and desc[0]["error_code"] == 0, desc
        assert sorted(p["partition_index"] if "partition_index" in p else p["partition"]
                      for p in desc[0]["partitions"]) == [0, 1]
        cluster = ad.describe_cluster()
        assert cluster.get("cluster_id"), cluster
        brokers = cluster.get("brokers") or []
        assert len(brokers) == 1 and brokers[0]["port"] == broker.port, cluster
    finally:
        ad.close()

    n = 200
    values = [f"kp-{i}" for i in range(n)]
    prod = KafkaProducer(bootstrap_servers=broker.bootstrap, client_id="sluice-e2e-kp", enable_idempotence=True,
                         acks="all", key_serializer=str.encode, value_serializer=str.encode, request_timeout_ms=30000)
    try:
        futs = [prod.send(topic, key=f"k{i}", value=v) for i, v in enumerate(values)]
        prod.flush(timeout=60)
        metas = [f.get(timeout=30) for f in futs]
    finally:
        prod.close(timeout=10)
    per_part = {}
    for m in metas:
        per_part.setdefault(m.partition, []).append(m.offset)
    for p, offs in per_part.items():
        assert sorted(offs) == list(range(len(offs))), f"partition {p}: offsets not dense"

    group = unique("kp-grp")
    c = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=group, client_id="sluice-e2e-kp",
                      auto_offset_reset="earliest", enable_auto_commit=False, request_timeout_ms=40000)
    got = []
    try:
        deadline = time.time() + 90
        while len(got) < n and time.time() < deadline:
            for recs in c.poll(timeout_ms=500).values():
                got.extend(r.value.decode() for r in recs)
        c.commit()
        committed = {p: c.committed(KTP(topic, p)) for p in range(2)}
    finally:
        c.close()
    assert sorted(got) == sorted(values)
    assert committed == {p: len(per_part.get(p, [])) for p in range(2)}
