import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Test stand-in for kafka-console-consumer (always subscribe(), so always a consumer group).
 *
 * Without --group it does what kafka-console-consumer does: a throw-away group "console-consumer-NNNNN"
 * with enable.auto.commit=false. With --group G it joins G and, before closing, commits synchronously the
 * offsets of exactly the records it printed (so --max-messages never commits records it did not print).
 *
 * Options: --bootstrap-server B --topic T [--group G] [--from-beginning] [--max-messages N] [--timeout-ms MS]
 *          [--consumer-property k=v]...
 * stdout: "Partition:P\tOffset:O\tTimestamp:TS\tKey:K\tValue:V" per record.
 * stderr: "Processed a total of N messages".
 * Exit status: 0 ok; 1 client error; 2 fewer than --max-messages records arrived; 3 the commit failed.
 */
public class ConsoleConsumer {
  public static void main(String[] argv) {
    Args args = new Args(argv);
    Properties props = args.clientProps("sluice-test-console-consumer");
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());
    String group = args.get("--group", null);
    boolean commitOnExit = group != null;
    if (group == null) group = "console-consumer-" + ThreadLocalRandom.current().nextInt(100000);
    props.put("group.id", group);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", args.has("--from-beginning") ? "earliest" : "latest");
    props.putAll(args.pairs("--consumer-property"));

    long max = args.getLong("--max-messages", -1);
    long timeoutMs = args.getLong("--timeout-ms", -1);
    long count = 0;
    int rc = 0;
    Map<TopicPartition, OffsetAndMetadata> printed = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(args.require("--topic")));
      long lastRecordAt = System.currentTimeMillis();
      outer:
      while (max < 0 || count < max) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          if (timeoutMs >= 0 && System.currentTimeMillis() - lastRecordAt > timeoutMs) {
            System.err.println("no message for " + timeoutMs + " ms, exiting");
            break;
          }
          continue;
        }
        lastRecordAt = System.currentTimeMillis();
        for (ConsumerRecord<String, String> r : records) {
          System.out.println("Partition:" + r.partition() + "\tOffset:" + r.offset() + "\tTimestamp:" + r.timestamp()
              + "\tKey:" + r.key() + "\tValue:" + r.value());
          printed.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          count++;
          if (max >= 0 && count >= max) break outer;
        }
      }
      System.out.flush();
      if (commitOnExit && !printed.isEmpty()) {
        try {
          consumer.commitSync(printed, Duration.ofSeconds(30));
          System.err.println("committed " + printed);
        } catch (Exception e) {
          System.err.println("ERROR commit: " + Args.describe(e));
          rc = 3;
        }
      }
    } catch (Exception e) {
      System.err.println("ERROR consumer: " + Args.describe(e));
      rc = 1;
    }
    System.out.flush();
    System.err.println("Processed a total of " + count + " messages");
    if (rc == 0 && max >= 0 && count < max) rc = 2;
    System.exit(rc);
  }
}
