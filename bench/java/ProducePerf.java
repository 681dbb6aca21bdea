import java.util.*;
import java.util.concurrent.atomic.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producer throughput + per-record latency, Java kafka-clients at client defaults
 * (enable.idempotence=true, acks=all, batch.size=16384, linger.ms=5 in 3.9; override with --prop k=v).
 *
 *   ProducePerf --bootstrap B --topic T --records N [--record-size 1024] [--prop k=v]... [--stall-seconds 60]
 *               [--throughput R] [--keys K] [--latency-skip-seconds S]
 *
 * Sends N records (null key unless --keys, a fixed random value of record-size bytes) as fast as send() accepts them,
 * then flush()es. --throughput R paces send() to R records/s (rate-limited run: the client's buffer
 * stays nearly empty, so the latency is the broker's and the network's, not queueing in the client).
 * --keys K gives record i the key "key-%08d" of i % K (K distinct keys, each written N/K times, in
 * order), e.g. for compacted topics; key bytes are not counted in the throughput.
 * --latency-skip-seconds S leaves the records sent in the first S seconds out of the latency
 * percentiles (the JVM is still compiling the client then; they are sent and counted in the throughput).
 * Latency of each record = System.nanoTime() at send() to its callback (send -> ack),
 * kept for every record in an int[] of microseconds, sorted at the end for p50/p99/p99.9/max.
 * Throughput = N * record-size / (first send -> flush() returned); the metadata fetch happens before
 * the clock starts (partitionsFor). MB = 2^20 bytes, as in Kafka's own perf tools.
 *
 * Output (stdout, one line): RESULT\tstatus=ok|errors|stalled\trecords=..\tacked=..\terrors=..\tseconds=..
 *   \tmb_per_s=..\trecords_per_s=..\tp50_ms=..\tp99_ms=..\tp999_ms=..\tmax_ms=..\tfirst_error=..
 * Progress every 5 s on stderr. Exit 0 ok, 2 delivery errors, 3 no ack for stall-seconds (broker stall).
 */
public class ProducePerf {
  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    final String topic = a.require("--topic");
    final int n = (int) a.getLong("--records", 100_000);
    final int size = (int) a.getLong("--record-size", 1024);
    final long stallMs = a.getLong("--stall-seconds", 60) * 1000;
    final double rate = Double.parseDouble(a.get("--throughput", "0"));
    final int keys = (int) a.getLong("--keys", 0);
    final long skipNs = (long) (Double.parseDouble(a.get("--latency-skip-seconds", "0")) * 1e9);

    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.require("--bootstrap"));
    p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "sluice-bench-producer");
    p.putAll(a.props("--prop"));
    byte[] value = new byte[size];
    new Random(42).nextBytes(value);

    final int[] latUs = new int[n];
    final AtomicInteger acked = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    final AtomicReference<String> firstError = new AtomicReference<>("");
    final AtomicInteger sent = new AtomicInteger();
    final long[] startNs = {0};
    final int[] firstCounted = {-1};  // first record in the latency percentiles (--latency-skip-seconds)

    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    int parts = producer.partitionsFor(topic).size();

    Thread watchdog = new Thread(() -> {
      int last = -1; long lastChange = System.currentTimeMillis(), lastPrint = lastChange;
      while (true) {
        try { Thread.sleep(200); } catch (InterruptedException e) { return; }
        int now = acked.get() + errors.get();
        long t = System.currentTimeMillis();
        if (now != last) { last = now; lastChange = t; }
        if (t - lastPrint >= 5000) {
          lastPrint = t;
          System.err.printf("PROGRESS\tt=%.1f\tsent=%d\tacked=%d\terrors=%d%n",
              (System.nanoTime() - startNs[0]) / 1e9, sent.get(), acked.get(), errors.get());
        }
        if (t - lastChange > stallMs) {
          report("stalled", n, size, acked.get(), errors.get(), System.nanoTime() - startNs[0], latUs, firstError.get(), Math.max(0, firstCounted[0]));
          System.err.printf("STALL: no ack for %d s (sent=%d acked=%d errors=%d)%n", stallMs / 1000, sent.get(), acked.get(), errors.get());
          Runtime.getRuntime().halt(3);
        }
      }
    }, "watchdog");
    watchdog.setDaemon(true);

    final byte[][] keyBytes = new byte[Math.max(0, keys)][];
    for (int k = 0; k < keys; k++) keyBytes[k] = String.format("key-%08d", k).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    startNs[0] = System.nanoTime();
    watchdog.start();
    final long nsPerRecord = rate > 0 ? (long) (1e9 / rate) : 0;
    for (int i = 0; i < n; i++) {
      final int idx = i;
      if (nsPerRecord > 0) {
        long due = startNs[0] + i * nsPerRecord;
        long ahead = due - System.nanoTime();
        if (ahead > 200_000) java.util.concurrent.locks.LockSupport.parkNanos(ahead);
      }
      final byte[] key = keys > 0 ? keyBytes[i % keys] : null;
      final long t = System.nanoTime();
      if (skipNs > 0 && firstCounted[0] < 0 && t - startNs[0] >= skipNs) firstCounted[0] = i;
      producer.send(new ProducerRecord<>(topic, key, value), (md, e) -> {
        latUs[idx] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - t) / 1000);
        if (e != null) {
          errors.incrementAndGet();
          firstError.compareAndSet("", BenchArgs.describe(e));
        } else {
          acked.incrementAndGet();
        }
      });
      sent.incrementAndGet();
    }
    producer.flush();
    long elapsed = System.nanoTime() - startNs[0];
    watchdog.interrupt();
    producer.close();
    System.err.printf("partitions=%d%n", parts);
    report(errors.get() == 0 ? "ok" : "errors", n, size, acked.get(), errors.get(), elapsed, latUs, firstError.get(), Math.max(0, firstCounted[0]));
    System.exit(errors.get() == 0 ? 0 : 2);
  }

  static synchronized void report(String status, int n, int size, int acked, int errors, long elapsedNs,
                                  int[] latUs, String firstError, int from) {
    double s = elapsedNs / 1e9;
    int done = Math.min(n, acked + errors);
    int[] l = Arrays.copyOfRange(latUs, Math.min(from, n), n);
    // Only completed records have a latency; unfinished slots are 0 and would skew the percentiles.
    int[] c = Arrays.stream(l).filter(x -> x > 0).toArray();
    Arrays.sort(c);
    System.out.printf(Locale.ROOT,
        "RESULT\tstatus=%s\trecords=%d\tacked=%d\terrors=%d\tseconds=%.3f\tmb_per_s=%.2f\trecords_per_s=%.0f"
            + "\tp50_ms=%.2f\tp99_ms=%.2f\tp999_ms=%.2f\tmax_ms=%.2f\tlatency_records=%d\tfirst_error=%s%n",
        status, n, acked, errors, s, (double) acked * size / (1 << 20) / s, acked / s,
        pct(c, 0.50), pct(c, 0.99), pct(c, 0.999), c.length == 0 ? Double.NaN : c[c.length - 1] / 1000.0, c.length,
        firstError.replace('\t', ' ').replace('\n', ' '));
    System.out.flush();
  }

  static double pct(int[] sorted, double q) {
    if (sorted.length == 0) return Double.NaN;
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
  }
}
