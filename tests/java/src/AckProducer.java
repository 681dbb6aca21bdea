import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Durability probe: sends generated records as fast as the broker acknowledges them and prints one line per
 * acknowledged record, flushing stdout, so that a test which kills the broker (and then this program) knows
 * exactly what was acknowledged. The producer keeps the client defaults (idempotence on, acks=all) unless
 * --producer-property says otherwise.
 *
 * Options: --bootstrap-server B --topic T [--prefix P] [--count N (default: unbounded)] [--max-outstanding N (500)]
 *          [--keyed] [--producer-property k=v]...
 * Record i has value "P-i" and, with --keyed, key "k-i" (so records spread over the partitions by hash).
 * stdout: "ACK partition offset value" per acknowledged record (callback order), "FAIL value error" per failed
 *         one, and at the end (if it gets there) "DONE acked=N failed=M".
 * Exit status: 0 when every record was acknowledged, 1 otherwise.
 */
public class AckProducer {
  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    Properties props = args.clientProps("sluice-test-ack-producer");
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", StringSerializer.class.getName());
    props.putAll(args.pairs("--producer-property"));
    String topic = args.require("--topic");
    String prefix = args.get("--prefix", "v");
    long count = args.getLong("--count", Long.MAX_VALUE);
    int maxOutstanding = (int) args.getLong("--max-outstanding", 500);
    boolean keyed = args.has("--keyed");

    Semaphore window = new Semaphore(maxOutstanding);
    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      System.out.println("STARTED");
      System.out.flush();
      for (long i = 0; i < count; i++) {
        window.acquire();
        final String value = prefix + "-" + i;
        String key = keyed ? "k-" + i : null;
        try {
          producer.send(new ProducerRecord<>(topic, key, value), (md, err) -> {
            synchronized (System.out) {
              if (err != null) {
                failed.incrementAndGet();
                System.out.println("FAIL " + value + " " + Args.describe(err).replace('\n', ' '));
              } else {
                acked.incrementAndGet();
                System.out.println("ACK " + md.partition() + " " + md.offset() + " " + value);
              }
              System.out.flush();
            }
            window.release();
          });
        } catch (Exception e) {
          window.release();
          failed.incrementAndGet();
          synchronized (System.out) {
            System.out.println("FAIL " + value + " " + Args.describe(e).replace('\n', ' '));
            System.out.flush();
          }
        }
      }
      producer.flush();
    }
    synchronized (System.out) {
      System.out.println("DONE acked=" + acked.get() + " failed=" + failed.get());
      System.out.flush();
    }
    System.exit(failed.get() == 0 ? 0 : 1);
  }
}
