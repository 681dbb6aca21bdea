import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Creates a topic with the Java AdminClient and waits until every partition has a leader.
 *   BenchTopic --bootstrap B --topic T --partitions P
 * Prints "TOPIC\tname=T\tpartitions=P\tms=<create+ready time>"; on failure "ERROR ..." on stderr, exit 1.
 */
public class BenchTopic {
  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    String topic = a.require("--topic");
    int parts = Integer.parseInt(a.get("--partitions", "1"));
    Properties p = new Properties();
    p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.require("--bootstrap"));
    p.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "sluice-bench-admin");
    int rc = 0;
    long t0 = System.nanoTime();
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, parts, (short) 1))).all().get();
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        try {
          TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
          List<TopicPartitionInfo> ps = d.partitions();
          if (ps.size() == parts && ps.stream().allMatch(x -> x.leader() != null && !x.leader().isEmpty())) break;
        } catch (Exception e) {
          if (System.currentTimeMillis() > deadline) throw e;
        }
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("partitions of " + topic + " have no leader after 30 s");
        Thread.sleep(50);
      }
      System.out.printf("TOPIC\tname=%s\tpartitions=%d\tms=%d%n", topic, parts, (System.nanoTime() - t0) / 1_000_000);
    } catch (Exception e) {
      System.err.println("ERROR " + BenchArgs.describe(e));
      rc = 1;
    }
    System.out.flush();
    System.exit(rc);
  }
}
