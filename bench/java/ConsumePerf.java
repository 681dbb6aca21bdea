import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumer throughput, Java kafka-clients at client defaults, no consumer group:
 * assign() to every partition of the topic, seekToBeginning, poll until N records arrived.
 *
 *   ConsumePerf --bootstrap B --topic T --records N [--prop k=v]... [--stall-seconds 30]
 *
 * Throughput = bytes of keys+values received / (first poll -> N-th record). MB = 2^20 bytes.
 * Also checks what it got: offsets must run 0,1,2,... per partition (gaps/duplicates are counted),
 * and every value must have the expected size (--record-size, default 1024).
 * Output: RESULT\tstatus=ok|short|stalled\trecords=..\tbytes=..\tseconds=..\tmb_per_s=..\trecords_per_s=..
 *   \toffset_anomalies=..\tbad_size=..\tpartitions=..
 * Exit 0 ok, 3 when nothing arrived for stall-seconds (then the partial count is reported).
 */
public class ConsumePerf {
  public static void main(String[] argv) {
    BenchArgs a = new BenchArgs(argv);
    String topic = a.require("--topic");
    long n = a.getLong("--records", 100_000);
    int size = (int) a.getLong("--record-size", 1024);
    long stallMs = a.getLong("--stall-seconds", 30) * 1000;
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.require("--bootstrap"));
    p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-bench-consumer");
    p.putAll(a.props("--prop"));
    String status = "ok";
    long count = 0, bytes = 0, anomalies = 0, badSize = 0;
    int nparts = 0;
    long t0 = 0, t1 = 0;
    String firstAnomaly = "";
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic)) tps.add(new TopicPartition(topic, pi.partition()));
      nparts = tps.size();
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<Integer, Long> next = new HashMap<>();
      t0 = System.nanoTime();
      long lastData = System.currentTimeMillis(), lastPrint = lastData;
      while (count < n) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          count++;
          int vl = r.value() == null ? 0 : r.value().length;
          bytes += vl + (r.key() == null ? 0 : r.key().length);
          if (vl != size) badSize++;
          long want = next.getOrDefault(r.partition(), 0L);
          if (r.offset() != want) {
            anomalies++;
            if (firstAnomaly.isEmpty()) firstAnomaly = "p" + r.partition() + " expected offset " + want + " got " + r.offset();
          }
          next.put(r.partition(), r.offset() + 1);
        }
        if (!rs.isEmpty()) lastData = now;
        if (now - lastPrint >= 5000) {
          lastPrint = now;
          System.err.printf("PROGRESS\tt=%.1f\trecords=%d%n", (System.nanoTime() - t0) / 1e9, count);
        }
        if (now - lastData > stallMs) { status = "stalled"; break; }
      }
      t1 = System.nanoTime();
      if (!firstAnomaly.isEmpty()) System.err.println("ANOMALY first: " + firstAnomaly);
    } catch (Exception e) {
      System.err.println("ERROR " + BenchArgs.describe(e));
      status = "error";
      if (t1 == 0) t1 = System.nanoTime();
    }
    double s = (t1 - t0) / 1e9;
    System.out.printf(Locale.ROOT,
        "RESULT\tstatus=%s\trecords=%d\tbytes=%d\tseconds=%.3f\tmb_per_s=%.2f\trecords_per_s=%.0f\toffset_anomalies=%d\tbad_size=%d\tpartitions=%d%n",
        status, count, bytes, s, bytes / (double) (1 << 20) / s, count / s, anomalies, badSize, nparts);
    System.out.flush();
    System.exit(status.equals("ok") ? 0 : 3);
  }
}
