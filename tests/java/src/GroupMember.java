import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a consumer group, for the rebalance test. Subscribes to --topic in --group (auto commit off,
 * auto.offset.reset=earliest), prints each record, then commits what it printed after every poll and whenever
 * partitions are revoked. SIGTERM makes it leave cleanly (wakeup, final commit, close); SIGKILL just kills it.
 *
 * Options: --bootstrap-server B --topic T --group G [--consumer-property k=v]...
 * stdout, one line each, flushed promptly:
 *   "STARTED", "ASSIGNED p,p,..", "REVOKED p,p,..", "LOST p,p,..", "CONSUMED partition offset value",
 *   "COMMIT_FAILED reason", "CLOSED" (after a clean close).
 * Exit status: 0 after a clean shutdown, 1 on a client error.
 */
public class GroupMember {
  private static final Object OUT = new Object();

  static void say(String s) {
    synchronized (OUT) { System.out.println(s); System.out.flush(); }
  }

  static String parts(Collection<TopicPartition> tps) {
    TreeSet<Integer> s = new TreeSet<>();
    for (TopicPartition tp : tps) s.add(tp.partition());
    StringBuilder b = new StringBuilder();
    for (Integer p : s) { if (b.length() > 0) b.append(','); b.append(p); }
    return b.toString();
  }

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    Properties props = args.clientProps("sluice-test-group-member");
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());
    props.put("group.id", args.require("--group"));
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.putAll(args.pairs("--consumer-property"));
    String topic = args.require("--topic");

    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
    Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
    CountDownLatch done = new CountDownLatch(1);
    Thread mainThread = Thread.currentThread();
    final boolean[] stopping = {false};
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (stopping) { stopping[0] = true; }
      consumer.wakeup();
      try { done.await(); mainThread.join(60000); } catch (InterruptedException ignored) { }
    }));

    int rc = 0;
    try {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
          commit(consumer, pending);
          say("REVOKED " + parts(revoked));
        }
        @Override public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
          say("ASSIGNED " + parts(assigned));
        }
        @Override public void onPartitionsLost(Collection<TopicPartition> lost) {
          pending.keySet().removeAll(lost);
          say("LOST " + parts(lost));
        }
      });
      say("STARTED");
      while (true) {
        synchronized (stopping) { if (stopping[0]) break; }
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        StringBuilder b = new StringBuilder();
        for (ConsumerRecord<String, String> r : records) {
          b.append("CONSUMED ").append(r.partition()).append(' ').append(r.offset()).append(' ').append(r.value()).append('\n');
          pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        synchronized (OUT) { System.out.print(b); System.out.flush(); }
        commit(consumer, pending);
      }
    } catch (WakeupException e) {
      // SIGTERM: fall through to the final commit and close.
    } catch (Exception e) {
      System.err.println("ERROR member: " + Args.describe(e));
      rc = 1;
    }
    try {
      commit(consumer, pending);
      consumer.close(Duration.ofSeconds(30));
      if (rc == 0) say("CLOSED");
    } catch (Exception e) {
      System.err.println("ERROR close: " + Args.describe(e));
      rc = 1;
    }
    done.countDown();
    System.out.flush();
    Runtime.getRuntime().halt(rc);
  }

  static void commit(KafkaConsumer<String, String> consumer, Map<TopicPartition, OffsetAndMetadata> pending) {
    if (pending.isEmpty()) return;
    try {
      consumer.commitSync(new HashMap<>(pending), Duration.ofSeconds(30));
      pending.clear();
    } catch (WakeupException e) {
      // Woken during the commit: retry once so a clean shutdown still commits what was printed.
      try { consumer.commitSync(new HashMap<>(pending), Duration.ofSeconds(30)); pending.clear(); }
      catch (Exception e2) { say("COMMIT_FAILED " + Args.describe(e2)); }
    } catch (Exception e) {
      say("COMMIT_FAILED " + Args.describe(e));
    }
  }
}
