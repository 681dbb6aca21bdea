"""Consumer group under churn: members join, leave cleanly (SIGTERM) and die (SIGKILL) while a producer writes.
At the end every produced value has been consumed by some member and the committed offsets reach the log end."""
import collections
import signal
import subprocess
import threading
import time

from helpers import Admin, Background, java_background, java_cmd, unique, wait_until

PARTITIONS = 6
N = 1200               # values 0..N-1
PRODUCE_SECONDS = 25   # spread over this long
# A dead member must be noticed after session.timeout.ms; max.poll.interval.ms (the rebalance timeout) is lowered
# from its 5 minute default so that a join round never needs to wait that long either.
MEMBER_PROPS = ["--consumer-property", "session.timeout.ms=10000",
                "--consumer-property", "heartbeat.interval.ms=1000",
                "--consumer-property", "max.poll.interval.ms=30000",
                "--consumer-property", "max.poll.records=50"]


class SlowProducer:
    """Feeds "key:value" lines for 0..N-1 into ConsoleProducer's stdin over PRODUCE_SECONDS."""

    def __init__(self, bootstrap, topic):
        self.bg = Background(java_cmd("ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", topic,
                                      "--key-separator", ":", "--print-metadata"),
                             name="producer", stdin=subprocess.PIPE)
        self.error = None
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()

    def _feed(self):
        try:
            per_tick = max(1, N // (PRODUCE_SECONDS * 10))
            for start in range(0, N, per_tick):
                chunk = "".join(f"k{i}:{i}\n" for i in range(start, min(N, start + per_tick)))
                self.bg.proc.stdin.write(chunk)
                self.bg.proc.stdin.flush()
                time.sleep(0.1)
            self.bg.proc.stdin.close()
        except Exception as e:  # broken pipe if the producer died
            self.error = e


def test_group_members_join_leave_and_die_without_losing_records(broker):
    admin = Admin(broker.bootstrap)
    topic = unique("churn")
    group = unique("churn-grp")
    admin.create_topic(topic, partitions=PARTITIONS)

    def member(name):
        return java_background("GroupMember", "--bootstrap-server", broker.bootstrap, "--topic", topic,
                               "--group", group, *MEMBER_PROPS, name=name)

    def assigned(m):
        """True once the member was given at least one partition (6 partitions, at most 3 members at a time)."""
        return any(l.split(" ", 1)[1].strip() for l in m.lines("ASSIGNED "))

    members = {}
    producer = None

    def state():
        """Diagnostics for a failure: each member's recent group events and the group as the broker sees it."""
        ev = "; ".join(f"{k}: {[l for l in m.lines() if not l.startswith('CONSUMED')][-4:]}" for k, m in members.items())
        d = admin("groups", "--describe", "--group", group, check=False)
        return f"members' last events: {ev}\nbroker's view:\n{d.stdout}{d.stderr[-500:]}"

    def wait_assigned(name, timeout):
        try:
            members[name].wait_for(assigned, timeout, "an assignment")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{state()}") from None

    try:
        members["m1"] = member("m1")
        wait_assigned("m1", 60)
        producer = SlowProducer(broker.bootstrap, topic)
        time.sleep(4)

        members["m2"] = member("m2")
        members["m3"] = member("m3")
        wait_assigned("m2", 90)
        wait_assigned("m3", 90)
        time.sleep(4)

        rc = members["m2"].stop(signal.SIGTERM, timeout=60)
        assert rc == 0 and "CLOSED" in members["m2"].lines(), \
            f"m2 did not leave cleanly on SIGTERM (status {rc})\n{members['m2'].stderr_tail()}"
        time.sleep(4)

        members["m3"].stop(signal.SIGKILL, timeout=10)
        time.sleep(2)

        members["m4"] = member("m4")
        wait_assigned("m4", 120)  # after m3's session (10 s) expires

        producer.thread.join(PRODUCE_SECONDS + 60)
        rc = producer.bg.wait(120)  # stdin is closed: it flushes, prints its summary and exits
        assert producer.error is None, f"feeding the producer failed: {producer.error}"
        assert rc == 0 and f"acked={N} failed=0" in producer.bg.lines("acked="), \
            f"producer: status {rc}, {producer.bg.lines('acked=')}\n{producer.bg.stderr_tail()}"

        ends = {p: o for p, (o, _) in admin.offsets(topic, "latest").items()}
        assert sum(ends.values()) == N, f"log end offsets {ends} do not add up to {N} records"
        assert sum(1 for o in ends.values() if o > 0) >= 3, f"keys did not spread over partitions: {ends}"

        def consumed_values():
            vals = set()
            for m in members.values():
                for line in m.lines("CONSUMED "):
                    vals.add(int(line.split(" ", 3)[3]))
            return vals

        def all_consumed():
            return len(consumed_values()) == N

        try:
            wait_until(all_consumed, 180, interval=1, what="every value to be consumed by some member")
        except AssertionError:
            missing = sorted(set(range(N)) - consumed_values())
            raise AssertionError(f"{len(missing)} of {N} values never consumed, e.g. {missing[:20]}\n{state()}") from None

        def committed_to_end():
            d = admin.describe_group(group)
            cur = {int(o["partition"]): int(o["current"]) for o in d["offsets"] if o["current"] != "-"}
            want = {p: o for p, o in ends.items() if o > 0}
            return d if all(cur.get(p) == o for p, o in want.items()) else None

        try:
            d = wait_until(committed_to_end, 120, interval=2, what="committed offsets to reach the end of every partition")
        except AssertionError as e:
            raise AssertionError(f"{e}\nlog end offsets: {ends}\n{state()}") from None
        assert d["group"]["state"] == "Stable" and d["group"]["members"] == "2", \
            f"expected a Stable group of the 2 live members\n{state()}"
        owned = sorted(tp for m in d["members"] for tp in m["assignment"].split(",") if tp)
        assert owned == sorted(f"{topic}-{p}" for p in range(PARTITIONS)), f"assignment does not cover the topic: {owned}"
    finally:
        if producer is not None:
            producer.bg.stop(signal.SIGKILL, timeout=10)
        results = {k: m.stop(signal.SIGTERM, timeout=60) for k, m in members.items()}

    for k in ("m1", "m4"):
        assert results[k] == 0 and "CLOSED" in members[k].lines(), \
            f"{k} did not close cleanly on SIGTERM (status {results[k]})\n{members[k].stderr_tail()}"
    # Each value must sit at exactly one (partition, offset): duplicates from redelivery must agree.
    where = collections.defaultdict(set)
    for m in members.values():
        for line in m.lines("CONSUMED "):
            _, p, o, v = line.split(" ", 3)
            where[int(v)].add((int(p), int(o)))
    moved = {v: s for v, s in where.items() if len(s) != 1}
    assert not moved, f"values seen at more than one position: {dict(list(moved.items())[:5])}"
