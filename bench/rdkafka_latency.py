"""librdkafka producer latency on a sample, via confluent-kafka (tests/.venv).

    python bench/rdkafka_latency.py --bootstrap B --topic T --records N [--record-size 1024]

Producer settings: acks=all, enable.idempotence=true, everything else at librdkafka defaults
(linger.ms=5, batch.size=1000000, queue.buffering.max.messages=100000).
Latency of a record = time.perf_counter_ns() at produce() -> its delivery callback. Callbacks are
served by poll(0) every 256 produce() calls and by the final flush(), so each latency may include up to
one such Python loop iteration of delay; the numbers are an upper bound on what librdkafka itself sees.
The producer runs flat out, so (as with the Java run) latency is mostly time spent queued in the client.
Throughput of this run is Python-bound and is printed only for reference.
Output: RESULT\tstatus=..\trecords=..\tacked=..\terrors=..\tseconds=..\tmb_per_s=..\trecords_per_s=..\tp50_ms=..\tp99_ms=..\tp999_ms=..\tmax_ms=..\tfirst_error=..
"""
import argparse
import math
import os
import sys
import time

from confluent_kafka import Producer, libversion


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--record-size", type=int, default=1024)
    a = ap.parse_args()

    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all", "enable.idempotence": True,
                  "client.id": "sluice-bench-rdkafka"})
    md = p.list_topics(a.topic, timeout=30)  # metadata before the clock starts
    if a.topic not in md.topics or md.topics[a.topic].error is not None:
        print(f"ERROR topic {a.topic} not in metadata", file=sys.stderr)
        return 1
    value = os.urandom(a.record_size)
    # Warm-up: one record delivered before the clock starts, so the idempotent producer already has its
    # producer id (otherwise the first records wait for InitProducerId and its retry backoff).
    p.produce(a.topic, value)
    if p.flush(30) != 0:
        print("ERROR warm-up record not delivered within 30 s", file=sys.stderr)
        return 1
    n = a.records
    lat = [0] * n
    state = {"acked": 0, "errors": 0, "first": ""}

    def cb_for(i, t):
        def cb(err, msg):
            lat[i] = time.perf_counter_ns() - t
            if err is not None:
                state["errors"] += 1
                if not state["first"]:
                    state["first"] = str(err)
            else:
                state["acked"] += 1
        return cb

    t0 = time.perf_counter_ns()
    for i in range(n):
        while True:
            try:
                p.produce(a.topic, value, on_delivery=cb_for(i, time.perf_counter_ns()))
                break
            except BufferError:
                p.poll(0.01)
        if i & 255 == 0:
            p.poll(0)
    left = p.flush(120)
    s = (time.perf_counter_ns() - t0) / 1e9
    done = sorted(x for x in lat if x > 0)

    def pct(q):
        if not done:
            return float("nan")
        return done[max(0, min(len(done) - 1, math.ceil(q * len(done)) - 1))] / 1e6

    status = "ok" if state["errors"] == 0 and left == 0 else ("stalled" if left else "errors")
    print(f"RESULT\tstatus={status}\trecords={n}\tacked={state['acked']}\terrors={state['errors']}\tseconds={s:.3f}"
          f"\tmb_per_s={state['acked'] * a.record_size / 2**20 / s:.2f}\trecords_per_s={state['acked'] / s:.0f}"
          f"\tp50_ms={pct(0.5):.2f}\tp99_ms={pct(0.99):.2f}\tp999_ms={pct(0.999):.2f}"
          f"\tmax_ms={(done[-1] / 1e6 if done else float('nan')):.2f}\tfirst_error={state['first']}"
          f"\tlibrdkafka={libversion()[0]}")
    return 0 if status == "ok" else 2


if __name__ == "__main__":
    sys.exit(main())
