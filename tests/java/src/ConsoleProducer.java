import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Test stand-in for kafka-console-producer: every stdin line becomes one record.
 * The producer keeps the client defaults (idempotence on, acks=all) unless --producer-property says otherwise.
 *
 * Options: --bootstrap-server B --topic T [--key-separator SEP] [--partition P] [--producer-property k=v]...
 *          [--sync] [--print-metadata]
 * stdout: with --print-metadata one "topic-partition@offset" line per acknowledged record (in ack order),
 *         and always a final "acked=N failed=M" line.
 * Exit status: 0 when every record was acknowledged, 1 otherwise.
 */
public class ConsoleProducer {
  public static void main(String[] argv) {
    Args args = new Args(argv);
    Properties props = args.clientProps("sluice-test-console-producer");
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", StringSerializer.class.getName());
    props.putAll(args.pairs("--producer-property"));

    String topic = args.require("--topic");
    String sep = args.get("--key-separator", null);
    String partArg = args.get("--partition", null);
    Integer partition = partArg == null ? null : Integer.valueOf(partArg);
    boolean sync = args.has("--sync");
    boolean printMetadata = args.has("--print-metadata");

    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    Callback callback = (md, err) -> {
      if (err != null) {
        failed.incrementAndGet();
        System.err.println("ERROR send failed: " + Args.describe(err));
      } else {
        acked.incrementAndGet();
        if (printMetadata) {
          synchronized (System.out) { System.out.println(md.topic() + "-" + md.partition() + "@" + md.offset()); }
        }
      }
    };

    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props);
         BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String key = null;
        String value = line;
        if (sep != null) {
          int i = line.indexOf(sep);
          if (i >= 0) { key = line.substring(0, i); value = line.substring(i + sep.length()); }
        }
        try {
          var future = producer.send(new ProducerRecord<>(topic, partition, key, value), callback);
          if (sync) future.get();
        } catch (Exception e) {
          // With --sync the callback already counted the failure.
          if (!sync) { failed.incrementAndGet(); System.err.println("ERROR send: " + Args.describe(e)); }
        }
      }
      producer.flush();
    } catch (Exception e) {
      failed.incrementAndGet();
      System.err.println("ERROR producer: " + Args.describe(e));
    }
    synchronized (System.out) {
      System.out.println("acked=" + acked.get() + " failed=" + failed.get());
      System.out.flush();
    }
    System.exit(failed.get() == 0 ? 0 : 1);
  }
}
