import java.util.*;

/** Minimal command-line parser for the test tools: "--name value" pairs and bare "--flag"s.
 *  A repeated option keeps every value. A leading positional word (a sub-command) is allowed. */
final class Args {
  final List<String> positional = new ArrayList<>();
  private final Map<String, List<String>> opts = new LinkedHashMap<>();

  Args(String[] argv) {
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) { positional.add(a); continue; }
      String v = null;
      if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) v = argv[++i];
      opts.computeIfAbsent(a, k -> new ArrayList<>()).add(v);
    }
  }

  boolean has(String k) { return opts.containsKey(k); }

  String get(String k, String def) {
    List<String> l = opts.get(k);
    return (l == null || l.get(0) == null) ? def : l.get(0);
  }

  String require(String k) {
    String v = get(k, null);
    if (v == null) { System.err.println("missing required option " + k); System.exit(64); }
    return v;
  }

  long getLong(String k, long def) { String v = get(k, null); return v == null ? def : Long.parseLong(v); }

  List<String> all(String k) {
    List<String> out = new ArrayList<>();
    for (String v : opts.getOrDefault(k, List.of())) if (v != null) out.add(v);
    return out;
  }

  /** Parses every "--opt key=value" into an ordered map. */
  Map<String, String> pairs(String k) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String kv : all(k)) {
      int i = kv.indexOf('=');
      if (i <= 0) { System.err.println("expected key=value for " + k + ": " + kv); System.exit(64); }
      m.put(kv.substring(0, i), kv.substring(i + 1));
    }
    return m;
  }

  /** Client config common to every tool: bootstrap servers, client id, and any --property k=v. */
  Properties clientProps(String clientId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", require("--bootstrap-server"));
    p.put("client.id", clientId);
    p.putAll(pairs("--property"));
    return p;
  }

  /** The innermost meaningful cause of a failure, as "Type: message". */
  static String describe(Throwable t) {
    while (t.getCause() != null
        && (t instanceof java.util.concurrent.ExecutionException
            || t instanceof java.util.concurrent.CompletionException
            || t.getClass() == org.apache.kafka.common.KafkaException.class)) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
