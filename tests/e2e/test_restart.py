"""Durability across a clean restart (SIGTERM, then start again on the same data directory)."""
import collections
import subprocess

from helpers import Admin, consume_java, java_background, produce_java, unique


def test_topics_data_offsets_and_producer_state_survive_restart(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("persist")
    group = unique("persist-grp")
    created = admin.create_topic(topic, partitions=3, configs={"retention.ms": "999999"})
    before = admin.describe_topic(topic)
    values = [f"before-{i}" for i in range(100)]
    produce_java(broker.bootstrap, topic, [f"k{i}:{v}" for i, v in enumerate(values)], "--key-separator", ":")
    recs = consume_java(broker.bootstrap, topic, 100, "--group", group)
    assert sorted(r["value"] for r in recs) == sorted(values)
    pos = {r["value"]: (r["partition"], r["offset"]) for r in recs}
    ends = {p: o for p, (o, _) in admin.offsets(topic, "latest").items()}
    assert sum(ends.values()) == 100
    committed = {int(o["partition"]): int(o["current"]) for o in admin.describe_group(group)["offsets"]}
    assert committed == {p: e for p, e in ends.items() if e > 0}

    broker.restart()

    assert topic in admin.list_topics()
    after = admin.describe_topic(topic)
    assert after["topic"]["id"] == before["topic"]["id"] == created["id"], "topic id changed across the restart"
    assert after["topic"]["partitions"] == "3"
    assert (after["configs"]["retention.ms"]["value"], after["configs"]["retention.ms"]["source"]) == \
        ("999999", "DYNAMIC_TOPIC_CONFIG")
    assert {p: o for p, (o, _) in admin.offsets(topic, "latest").items()} == ends
    assert {p: o for p, (o, _) in admin.offsets(topic, "earliest").items()} == {0: 0, 1: 0, 2: 0}

    recs = consume_java(broker.bootstrap, topic, 100)
    assert {r["value"]: (r["partition"], r["offset"]) for r in recs} == pos, "data changed across the restart"

    d = admin.describe_group(group)
    assert {int(o["partition"]): int(o["current"]) for o in d["offsets"]} == committed, "committed offsets lost"
    assert all(o["lag"] == "0" for o in d["offsets"]), d["offsets"]

    # A new idempotent producer session appends after the old data.
    new_values = [f"after-{i}" for i in range(50)]
    new_acks = produce_java(broker.bootstrap, topic, [f"k{i}:{v}" for i, v in enumerate(new_values)], "--key-separator", ":")
    per_part = collections.defaultdict(list)
    for p, o in new_acks:
        per_part[p].append(o)
    for p, offs in per_part.items():
        assert sorted(offs) == list(range(ends[p], ends[p] + len(offs))), f"partition {p}: new offsets {sorted(offs)}"

    # The group resumes from its committed offsets: exactly the new records.
    recs = consume_java(broker.bootstrap, topic, 50, "--group", group)
    assert sorted(r["value"] for r in recs) == sorted(new_values)

    broker.restart()
    recs = consume_java(broker.bootstrap, topic, 150)
    assert sorted(r["value"] for r in recs) == sorted(values + new_values)
    assert len({(r["partition"], r["offset"]) for r in recs}) == 150


def test_idempotent_producer_keeps_going_across_restart(broker):
    """One idempotent producer session spans a broker restart: its sequence numbers continue, nothing is lost
    or duplicated."""
    admin = Admin(broker.bootstrap)
    topic = unique("persist-pid")
    admin.create_topic(topic, partitions=1)
    prod = java_background("ConsoleProducer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
                           "--print-metadata", "--producer-property", "delivery.timeout.ms=300000",
                           name="producer", stdin=subprocess.PIPE)
    try:
        prod.proc.stdin.write("".join(f"first-{i}\n" for i in range(30)))
        prod.proc.stdin.flush()
        prod.wait_for(lambda p: len(p.lines(topic + "-")) >= 30, 90, "30 acks before the restart")
        broker.restart()
        prod.proc.stdin.write("".join(f"second-{i}\n" for i in range(30)))
        prod.proc.stdin.close()
        rc = prod.wait(300)
        assert rc == 0 and "acked=60 failed=0" in prod.lines("acked="), \
            f"producer status {rc}: {prod.lines('acked=')}\n{prod.stderr_tail()}"
    finally:
        prod.stop(timeout=10)
    assert [l.rsplit("@", 1)[1] for l in prod.lines(topic + "-")] == [str(i) for i in range(60)]
    recs = consume_java(broker.bootstrap, topic, 60)
    assert [r["value"] for r in recs] == [f"first-{i}" for i in range(30)] + [f"second-{i}" for i in range(30)]
    assert admin.offsets(topic, "latest")[0][0] == 60
