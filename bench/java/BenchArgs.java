import java.util.*;

/** Minimal "--key value" / "--flag" parser shared by the bench programs; repeated keys accumulate. */
final class BenchArgs {
  private final Map<String, List<String>> m = new HashMap<>();

  BenchArgs(String[] argv) {
    for (int i = 0; i < argv.length; i++) {
      String k = argv[i];
      if (!k.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + k);
      String v = (i + 1 < argv.length && !argv[i + 1].startsWith("--")) ? argv[++i] : "true";
      m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
  }

  String get(String k, String dflt) { List<String> l = m.get(k); return l == null ? dflt : l.get(l.size() - 1); }

  String require(String k) {
    String v = get(k, null);
    if (v == null) throw new IllegalArgumentException("missing " + k);
    return v;
  }

  long getLong(String k, long dflt) { return Long.parseLong(get(k, String.valueOf(dflt))); }

  /** Extra client properties given as repeated "--prop k=v". */
  Properties props(String k) {
    Properties p = new Properties();
    for (String kv : m.getOrDefault(k, List.of())) {
      int i = kv.indexOf('=');
      if (i <= 0) throw new IllegalArgumentException(k + " wants key=value, got " + kv);
      p.setProperty(kv.substring(0, i), kv.substring(i + 1));
    }
    return p;
  }

  static String describe(Throwable e) {
    Throwable c = e;
    while ((c instanceof java.util.concurrent.ExecutionException || c instanceof org.apache.kafka.common.KafkaException)
        && c.getCause() != null && c.getCause() != c) {
      if (!(c instanceof java.util.concurrent.ExecutionException) && c.getMessage() != null) break;
      c = c.getCause();
    }
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }
}
