"""librdkafka counterpart of tests/java/src/AckProducer.java (run with tests/.venv/bin/python).

    rdkafka_ack_producer.py BOOTSTRAP TOPIC PREFIX [COUNT]

Idempotent producer (enable.idempotence=true, acks=all) sending record i with key "k-i" and value "PREFIX-i";
prints "ACK partition offset value" per successful delivery report, "FAIL value error" per failed one, flushing
stdout after each line, and "DONE acked=N failed=M" if it gets to the end.
"""
import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic, prefix = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else None
    p = Producer({
        "bootstrap.servers": bootstrap,
        "client.id": "sluice-test-rdkafka-ack-producer",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        "queue.buffering.max.messages": 500,
        "message.timeout.ms": 300000,
    })
    stats = {"acked": 0, "failed": 0}

    def report(err, msg):
        value = msg.value().decode()
        if err is not None:
            stats["failed"] += 1
            sys.stdout.write(f"FAIL {value} {str(err).replace(chr(10), ' ')}\n")
        else:
            stats["acked"] += 1
            sys.stdout.write(f"ACK {msg.partition()} {msg.offset()} {value}\n")
        sys.stdout.flush()

    print("STARTED", flush=True)
    i = 0
    while count is None or i < count:
        try:
            p.produce(topic, key=f"k-{i}".encode(), value=f"{prefix}-{i}".encode(), on_delivery=report)
            i += 1
        except BufferError:
            p.poll(0.05)  # the local queue is full: serve delivery reports, then retry this record
            continue
        p.poll(0)
    p.flush(300)
    print(f"DONE acked={stats['acked']} failed={stats['failed']}", flush=True)
    sys.exit(0 if stats["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
