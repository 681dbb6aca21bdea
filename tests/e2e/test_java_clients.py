"""Apache kafka-clients 3.9.1 (Java) against the broker: console producer/consumer equivalents and AdminClient."""
import collections
import time

import pytest

from helpers import (Admin, consume_java, consumer_records, describe, java, java_background, produce_java, rows,
                     unique, wait_until)

ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA"


def test_produce_and_consume_with_and_without_group(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("java-pc")
    admin.create_topic(topic, partitions=3)
    n = 500
    values = [f"value-{i}-한글-✓" for i in range(n)]
    acks = produce_java(broker.bootstrap, topic, [f"key-{i % 37}:{v}" for i, v in enumerate(values)],
                        "--key-separator", ":")
    # Every record acknowledged exactly once, offsets dense per partition from 0.
    by_part = collections.defaultdict(list)
    for p, o in acks:
        by_part[p].append(o)
    for p, offs in by_part.items():
        assert sorted(offs) == list(range(len(offs))), f"partition {p}: acked offsets not 0..n-1: {sorted(offs)[:20]}"

    # Without --group: throw-away console-consumer-NNNNN group, auto commit off.
    recs = consume_java(broker.bootstrap, topic, n)
    assert len(recs) == n
    assert sorted(r["value"] for r in recs) == sorted(values)
    assert {(r["partition"], r["offset"]) for r in recs} == set(acks)
    # Same key -> same partition, and per-partition order equals produce order.
    key_part = {}
    for r in recs:
        assert key_part.setdefault(r["key"], r["partition"]) == r["partition"], f"key {r['key']} in two partitions"
    order = {v: i for i, v in enumerate(values)}
    for p in by_part:
        seq = [order[r["value"]] for r in sorted((r for r in recs if r["partition"] == p), key=lambda r: r["offset"])]
        assert seq == sorted(seq), f"partition {p} is not in produce order"

    # With --group: same data, and the commit is honoured by the next member of the group.
    group = unique("java-cg")
    recs = consume_java(broker.bootstrap, topic, n, "--group", group)
    assert sorted(r["value"] for r in recs) == sorted(values)
    p = java("ConsoleConsumer", "--bootstrap-server", broker.bootstrap, "--topic", topic, "--group", group,
             "--from-beginning", "--max-messages", 1, "--timeout-ms", 8000, check=False, timeout=120)
    assert p.returncode == 2 and consumer_records(p.stdout) == [], \
        "a consumer in a group that committed everything must get nothing\n" + describe(p)


def test_admin_topics_create_list_describe_alter_delete(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("java-admin")
    created = admin.create_topic(topic, partitions=1, configs={"retention.ms": "123456"})
    assert created["partitions"] == "1"
    assert topic in admin.list_topics()

    d = admin.describe_topic(topic)
    assert d["topic"]["partitions"] == "1"
    assert d["topic"]["id"] not in ("", "null", ZERO_UUID), f"topic id missing: {d['topic']}"
    assert d["topic"]["id"] == created["id"], "describeTopics and createTopics disagree on the topic id"
    part = d["partitions"][0]
    assert part["leader"] != "none" and part["replicas"] == part["leader"] and part["isr"] == part["leader"]
    cfg = d["configs"]
    assert cfg["retention.ms"]["value"] == "123456"
    assert cfg["retention.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG", cfg["retention.ms"]
    assert "cleanup.policy" in cfg, f"no cleanup.policy in describeConfigs: {sorted(cfg)}"
    assert cfg["cleanup.policy"]["value"] == "delete"
    assert cfg["cleanup.policy"]["source"] == "DEFAULT_CONFIG", cfg["cleanup.policy"]
    defaults = [c for c in cfg.values() if c["source"] == "DEFAULT_CONFIG"]
    assert len(defaults) >= 5, f"expected topic defaults with source DEFAULT_CONFIG, got {len(defaults)}"

    # createPartitions 1 -> 3, and the new partitions take writes.
    admin("topics", "--alter", "--topic", topic, "--partitions", 3)
    d = admin.describe_topic(topic)
    assert d["topic"]["partitions"] == "3"
    assert sorted(int(p["partition"]) for p in d["partitions"]) == [0, 1, 2]
    assert all(p["leader"] != "none" for p in d["partitions"])
    acks = produce_java(broker.bootstrap, topic, ["to-partition-2"], "--partition", 2)
    assert acks == [(2, 0)]

    # incrementalAlterConfigs: change one, add one; then delete one (back to its default).
    admin("topics", "--alter", "--topic", topic, "--config", "retention.ms=654321", "--config", "max.message.bytes=200000")
    cfg = admin.describe_topic(topic)["configs"]
    assert (cfg["retention.ms"]["value"], cfg["retention.ms"]["source"]) == ("654321", "DYNAMIC_TOPIC_CONFIG")
    assert (cfg["max.message.bytes"]["value"], cfg["max.message.bytes"]["source"]) == ("200000", "DYNAMIC_TOPIC_CONFIG")
    admin("topics", "--alter", "--topic", topic, "--delete-config", "retention.ms")
    cfg = admin.describe_topic(topic)["configs"]
    assert cfg["retention.ms"]["source"] == "DEFAULT_CONFIG", cfg["retention.ms"]
    assert cfg["retention.ms"]["value"] == "604800000", cfg["retention.ms"]

    admin("topics", "--delete", "--topic", topic)
    wait_until(lambda: topic not in admin.list_topics(), 30, what="deleted topic to leave the topic list")
    p = admin("topics", "--describe", "--topic", topic, check=False)
    assert p.returncode != 0 and "UnknownTopicOrPartition" in p.stderr, describe(p)


def test_list_offsets_earliest_latest_and_by_timestamp(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("java-offsets")
    admin.create_topic(topic, partitions=1)
    assert admin.offsets(topic, "earliest")[0][0] == 0
    assert admin.offsets(topic, "latest")[0][0] == 0, "empty partition must have latest offset 0"

    produce_java(broker.bootstrap, topic, [f"a{i}" for i in range(10)])
    time.sleep(1.5)
    t_mid = int(time.time() * 1000)
    time.sleep(1.5)
    acks = produce_java(broker.bootstrap, topic, [f"b{i}" for i in range(15)])
    assert acks[-1] == (0, 24)

    assert admin.offsets(topic, "earliest")[0][0] == 0
    assert admin.offsets(topic, "latest")[0][0] == 25, "latest must be last offset + 1"
    assert admin.offsets(topic, str(t_mid))[0][0] == 10, "first record at/after the timestamp is offset 10"
    assert admin.offsets(topic, "0")[0][0] == 0
    future = int(time.time() * 1000) + 3_600_000
    assert admin.offsets(topic, str(future))[0][0] == -1, "no record at/after a future timestamp: offset -1"

    recs = consume_java(broker.bootstrap, topic, 25)
    ts = {r["offset"]: r["timestamp"] for r in recs}
    off, stamp = admin.offsets(topic, str(ts[17]))[0]
    assert off <= 17 and ts[off] == ts[17] and stamp == ts[17], (off, stamp, ts)


def test_delete_records_moves_low_watermark(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("java-delrec")
    admin.create_topic(topic, partitions=1)
    produce_java(broker.bootstrap, topic, [f"v{i}" for i in range(20)])
    out = admin("delete-records", "--topic", topic, "--partition", 0, "--before-offset", 7).stdout
    assert rows(out, "DELETED_RECORDS")[0]["low_watermark"] == "7"
    assert admin.offsets(topic, "earliest")[0][0] == 7
    assert admin.offsets(topic, "latest")[0][0] == 20
    recs = consume_java(broker.bootstrap, topic, 13)
    assert [r["offset"] for r in recs] == list(range(7, 20))
    assert [r["value"] for r in recs] == [f"v{i}" for i in range(7, 20)]


def test_describe_cluster(broker):
    out = Admin(broker.bootstrap)("cluster").stdout
    cluster = rows(out, "CLUSTER")[0]
    nodes = rows(out, "NODE")
    assert cluster["id"] not in ("", "null"), out
    assert len(nodes) == 1, out
    assert nodes[0]["host"] == "127.0.0.1" and nodes[0]["port"] == str(broker.port), out
    assert cluster["controller"] == nodes[0]["id"], out


def test_describe_metadata_quorum(broker):
    out = Admin(broker.bootstrap)("quorum").stdout
    q = rows(out, "QUORUM")[0]
    voters = rows(out, "VOTER")
    assert len(voters) == 1, out
    assert q["leader"] == voters[0]["id"], out
    assert int(q["high_watermark"]) >= 0, out


def test_consumer_groups_list_describe_reset_delete(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("java-groups")
    group = unique("grp")
    admin.create_topic(topic, partitions=2)
    n = 40
    acks = produce_java(broker.bootstrap, topic, [f"k{i}:g{i}" for i in range(n)], "--key-separator", ":")
    ends = collections.Counter(p for p, _ in acks)

    member = java_background("GroupMember", "--bootstrap-server", broker.bootstrap, "--topic", topic, "--group", group)
    try:
        member.wait_for(lambda m: len(m.lines("CONSUMED ")) >= n, 120, f"{n} consumed records")
        values = sorted(l.split(" ", 3)[3] for l in member.lines("CONSUMED "))
        assert values == sorted(f"g{i}" for i in range(n))

        def caught_up():
            d = admin.describe_group(group)
            return d if len(d["offsets"]) == 2 and all(o["lag"] == "0" for o in d["offsets"]) else None

        d = wait_until(caught_up, 60, interval=1, what="committed offsets with lag 0")
        assert d["group"]["state"] == "Stable", d["group"]
        assert d["group"]["members"] == "1" and len(d["members"]) == 1, d
        assert sorted(d["members"][0]["assignment"].split(",")) == [f"{topic}-0", f"{topic}-1"], d["members"]
        for o in d["offsets"]:
            assert int(o["current"]) == int(o["end"]) == ends[int(o["partition"])], o
            assert o["consumer"] == d["members"][0]["id"], o
        listed = admin.list_groups()
        assert group in listed and listed[group]["state"] == "Stable", listed.get(group)
    finally:
        rc = member.stop()
    assert rc == 0 and "CLOSED" in member.lines(), \
        f"member did not close cleanly on SIGTERM: rc={rc}\n{member.stderr_tail()}"

    d = wait_until(lambda: (lambda d: d if d["group"]["state"] == "Empty" else None)(admin.describe_group(group)),
                   30, interval=1, what="group to become Empty after its only member left")
    assert d["members"] == []
    assert admin.list_groups()[group]["state"] == "Empty"

    out = admin("groups", "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest").stdout
    assert sorted((r["partition"], r["offset"]) for r in rows(out, "RESET")) == [("0", "0"), ("1", "0")]
    d = admin.describe_group(group)
    assert {(o["partition"], o["current"], o["lag"]) for o in d["offsets"]} == \
        {("0", "0", str(ends[0])), ("1", "0", str(ends[1]))}
    # The group's next consumer starts from the reset offsets (no --from-beginning: auto.offset.reset=latest).
    p = java("ConsoleConsumer", "--bootstrap-server", broker.bootstrap, "--topic", topic, "--group", group,
             "--max-messages", n, "--timeout-ms", 30000, timeout=180, check=False)
    assert p.returncode == 0, describe(p)
    assert sorted(r["value"] for r in consumer_records(p.stdout)) == sorted(f"g{i}" for i in range(n))

    admin("groups", "--delete", "--group", group)
    assert group not in admin.list_groups()
    p = admin("groups", "--describe", "--group", group, check=False)
    if p.returncode == 0:
        assert rows(p.stdout, "OFFSET") == [] and rows(p.stdout, "MEMBER") == [], p.stdout
        assert rows(p.stdout, "GROUP")[0]["state"] in ("Dead", "Empty"), p.stdout
    else:
        assert "GroupIdNotFound" in p.stderr, describe(p)
