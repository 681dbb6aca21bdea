import java.util.*;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * AdminClient driver for the end-to-end tests. Output is one record per line: a word, then tab-separated
 * key=value fields, so that the tests can parse it without guessing.
 *
 *   AdminTool topics --bootstrap-server B --list
 *   AdminTool topics --bootstrap-server B --create --topic T [--partitions N] [--replication-factor R] [--config k=v]...
 *   AdminTool topics --bootstrap-server B --describe --topic T          (describeTopics + describeConfigs, all entries)
 *   AdminTool topics --bootstrap-server B --alter --topic T [--partitions N] [--config k=v]... [--delete-config k]...
 *   AdminTool topics --bootstrap-server B --delete --topic T
 *   AdminTool cluster --bootstrap-server B                              (describeCluster)
 *   AdminTool quorum --bootstrap-server B                               (describeMetadataQuorum)
 *   AdminTool offsets --bootstrap-server B --topic T --spec earliest|latest|max-timestamp|TIMESTAMP_MS
 *   AdminTool delete-records --bootstrap-server B --topic T --partition P --before-offset O
 *   AdminTool groups --bootstrap-server B --list
 *   AdminTool groups --bootstrap-server B --describe --group G          (members, assignments, offsets, lag)
 *   AdminTool groups --bootstrap-server B --reset-offsets --group G --topic T --to-earliest|--to-latest|--to-offset O
 *   AdminTool groups --bootstrap-server B --delete --group G
 * Any failure prints "ERROR <Exception>: <message>" on stderr and exits 1.
 */
public class AdminTool {
  static void row(String kind, Object... kv) {
    StringBuilder b = new StringBuilder(kind);
    for (int i = 0; i + 1 < kv.length; i += 2) b.append('\t').append(kv[i]).append('=').append(kv[i + 1]);
    System.out.println(b);
  }

  static String ids(List<Node> nodes) {
    return nodes.stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(","));
  }

  public static void main(String[] argv) {
    Args a = new Args(argv);
    if (a.positional.size() != 1) { System.err.println("usage: AdminTool topics|cluster|quorum|offsets|delete-records|groups ..."); System.exit(64); }
    int rc = 0;
    try (Admin admin = Admin.create(a.clientProps("sluice-test-admin"))) {
      switch (a.positional.get(0)) {
        case "topics": topics(admin, a); break;
        case "cluster": cluster(admin); break;
        case "quorum": quorum(admin); break;
        case "offsets": offsets(admin, a); break;
        case "delete-records": deleteRecords(admin, a); break;
        case "groups": groups(admin, a); break;
        default: System.err.println("unknown command " + a.positional.get(0)); rc = 64;
      }
    } catch (Exception e) {
      System.err.println("ERROR " + Args.describe(e));
      rc = 1;
    }
    System.out.flush();
    System.exit(rc);
  }

  static void topics(Admin admin, Args a) throws Exception {
    Map<String, String> cfg = a.pairs("--config");
    if (a.has("--list")) {
      for (String t : new TreeSet<>(admin.listTopics().names().get())) row("TOPIC", "name", t);
    } else if (a.has("--create")) {
      String t = a.require("--topic");
      NewTopic nt = new NewTopic(t, Optional.of(Integer.parseInt(a.get("--partitions", "1"))),
          Optional.of(Short.parseShort(a.get("--replication-factor", "1")))).configs(cfg);
      CreateTopicsResult r = admin.createTopics(List.of(nt));
      r.all().get();
      row("CREATED", "name", t, "id", r.topicId(t).get(), "partitions", r.numPartitions(t).get());
    } else if (a.has("--delete")) {
      String t = a.require("--topic");
      admin.deleteTopics(List.of(t)).all().get();
      row("DELETED", "name", t);
    } else if (a.has("--alter")) {
      String t = a.require("--topic");
      if (a.has("--partitions")) {
        int n = Integer.parseInt(a.require("--partitions"));
        admin.createPartitions(Map.of(t, NewPartitions.increaseTo(n))).all().get();
        row("ALTERED", "name", t, "partitions", n);
      }
      List<AlterConfigOp> ops = new ArrayList<>();
      cfg.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
      for (String k : a.all("--delete-config")) ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE));
      if (!ops.isEmpty()) {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, t), ops)).all().get();
        row("ALTERED", "name", t, "configs", ops.size());
      }
    } else if (a.has("--describe")) {
      String t = a.require("--topic");
      TopicDescription d = admin.describeTopics(List.of(t)).allTopicNames().get().get(t);
      row("TOPIC", "name", d.name(), "id", d.topicId(), "partitions", d.partitions().size(),
          "replication", d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size(), "internal", d.isInternal());
      for (TopicPartitionInfo p : d.partitions())
        row("PARTITION", "topic", d.name(), "partition", p.partition(), "leader", p.leader() == null ? "none" : p.leader().id(),
            "replicas", ids(p.replicas()), "isr", ids(p.isr()));
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, t);
      Config c = admin.describeConfigs(List.of(res)).all().get().get(res);
      List<ConfigEntry> entries = new ArrayList<>(c.entries());
      entries.sort(Comparator.comparing(ConfigEntry::name));
      for (ConfigEntry e : entries)
        row("CONFIG", "name", e.name(), "source", e.source(), "readonly", e.isReadOnly(), "sensitive", e.isSensitive(), "value", e.value());
    } else {
      throw new IllegalArgumentException("topics needs --list, --create, --describe, --alter or --delete");
    }
  }

  static void cluster(Admin admin) throws Exception {
    DescribeClusterResult r = admin.describeCluster();
    Node controller = r.controller().get();
    row("CLUSTER", "id", r.clusterId().get(), "controller", controller == null ? "none" : controller.id());
    for (Node n : r.nodes().get()) row("NODE", "id", n.id(), "host", n.host(), "port", n.port(), "rack", n.rack());
  }

  static void quorum(Admin admin) throws Exception {
    QuorumInfo q = admin.describeMetadataQuorum().quorumInfo().get();
    row("QUORUM", "leader", q.leaderId(), "epoch", q.leaderEpoch(), "high_watermark", q.highWatermark(),
        "voters", q.voters().size(), "observers", q.observers().size());
    for (QuorumInfo.ReplicaState v : q.voters()) row("VOTER", "id", v.replicaId(), "log_end_offset", v.logEndOffset());
    for (QuorumInfo.ReplicaState o : q.observers()) row("OBSERVER", "id", o.replicaId(), "log_end_offset", o.logEndOffset());
  }

  static List<TopicPartition> partitionsOf(Admin admin, String topic) throws Exception {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    List<TopicPartition> out = new ArrayList<>();
    for (TopicPartitionInfo p : d.partitions()) out.add(new TopicPartition(topic, p.partition()));
    return out;
  }

  static void offsets(Admin admin, Args a) throws Exception {
    String topic = a.require("--topic");
    String spec = a.require("--spec");
    OffsetSpec os;
    if (spec.equals("earliest")) os = OffsetSpec.earliest();
    else if (spec.equals("latest")) os = OffsetSpec.latest();
    else if (spec.equals("max-timestamp")) os = OffsetSpec.maxTimestamp();
    else os = OffsetSpec.forTimestamp(Long.parseLong(spec));
    Map<TopicPartition, OffsetSpec> req = new LinkedHashMap<>();
    for (TopicPartition tp : partitionsOf(admin, topic)) req.put(tp, os);
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> res = admin.listOffsets(req).all().get();
    for (TopicPartition tp : req.keySet()) {
      ListOffsetsResult.ListOffsetsResultInfo i = res.get(tp);
      row("OFFSET", "topic", topic, "partition", tp.partition(), "offset", i.offset(), "timestamp", i.timestamp());
    }
  }

  static void deleteRecords(Admin admin, Args a) throws Exception {
    TopicPartition tp = new TopicPartition(a.require("--topic"), Integer.parseInt(a.require("--partition")));
    long before = Long.parseLong(a.require("--before-offset"));
    DeletedRecords d = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(before))).lowWatermarks().get(tp).get();
    row("DELETED_RECORDS", "topic", tp.topic(), "partition", tp.partition(), "low_watermark", d.lowWatermark());
  }

  static void groups(Admin admin, Args a) throws Exception {
    if (a.has("--list")) {
      for (ConsumerGroupListing l : admin.listConsumerGroups().all().get())
        row("GROUP", "id", l.groupId(), "state", l.state().map(Object::toString).orElse("?"),
            "type", l.type().map(Object::toString).orElse("?"), "simple", l.isSimpleConsumerGroup());
    } else if (a.has("--delete")) {
      String g = a.require("--group");
      admin.deleteConsumerGroups(List.of(g)).all().get();
      row("DELETED_GROUP", "id", g);
    } else if (a.has("--describe")) {
      String g = a.require("--group");
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(g)).all().get().get(g);
      Node coord = d.coordinator();
      row("GROUP", "id", g, "state", d.state(), "members", d.members().size(), "assignor", d.partitionAssignor(),
          "coordinator", coord == null ? "none" : coord.id(), "simple", d.isSimpleConsumerGroup());
      Map<TopicPartition, String> owner = new HashMap<>();
      for (MemberDescription m : d.members()) {
        List<String> tps = m.assignment().topicPartitions().stream().map(TopicPartition::toString).sorted().collect(Collectors.toList());
        row("MEMBER", "id", m.consumerId(), "client", m.clientId(), "host", m.host(), "assignment", String.join(",", tps));
        for (TopicPartition tp : m.assignment().topicPartitions()) owner.put(tp, m.consumerId());
      }
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (TopicPartition tp : committed.keySet()) req.put(tp, OffsetSpec.latest());
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = req.isEmpty() ? Map.of() : admin.listOffsets(req).all().get();
      List<TopicPartition> sorted = new ArrayList<>(committed.keySet());
      sorted.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
      for (TopicPartition tp : sorted) {
        OffsetAndMetadata om = committed.get(tp);
        long end = ends.get(tp).offset();
        String cur = om == null ? "-" : String.valueOf(om.offset());
        String lag = om == null ? "-" : String.valueOf(end - om.offset());
        row("OFFSET", "topic", tp.topic(), "partition", tp.partition(), "current", cur, "end", end, "lag", lag,
            "consumer", owner.getOrDefault(tp, "-"));
      }
    } else if (a.has("--reset-offsets")) {
      String g = a.require("--group");
      String topic = a.require("--topic");
      List<TopicPartition> tps = partitionsOf(admin, topic);
      Map<TopicPartition, OffsetAndMetadata> target = new LinkedHashMap<>();
      if (a.has("--to-offset")) {
        long o = Long.parseLong(a.require("--to-offset"));
        for (TopicPartition tp : tps) target.put(tp, new OffsetAndMetadata(o));
      } else {
        OffsetSpec os = a.has("--to-latest") ? OffsetSpec.latest() : a.has("--to-earliest") ? OffsetSpec.earliest() : null;
        if (os == null) throw new IllegalArgumentException("--reset-offsets needs --to-earliest, --to-latest or --to-offset");
        Map<TopicPartition, OffsetSpec> req = new LinkedHashMap<>();
        for (TopicPartition tp : tps) req.put(tp, os);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> res = admin.listOffsets(req).all().get();
        for (TopicPartition tp : tps) target.put(tp, new OffsetAndMetadata(res.get(tp).offset()));
      }
      admin.alterConsumerGroupOffsets(g, target).all().get();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : target.entrySet())
        row("RESET", "group", g, "topic", e.getKey().topic(), "partition", e.getKey().partition(), "offset", e.getValue().offset());
    } else {
      throw new IllegalArgumentException("groups needs --list, --describe, --reset-offsets or --delete");
    }
  }
}
