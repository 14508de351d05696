package io.longshort.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The class names of a classifier, class id = position: given by the user, or collected from the
 * training split (sorted: numerically when every name is an integer, else by text, so the ids do
 * not depend on the order of the rows). Stored in the run so an export can carry them.
 */
public final class LabelNames {
  private final List<String> names;
  private final Map<String, Integer> ids = new HashMap<>();

  public LabelNames(List<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("labels: at least one label name is needed");
    }
    this.names = List.copyOf(names);
    for (int i = 0; i < names.size(); i++) {
      if (ids.putIfAbsent(names.get(i), i) != null) {
        throw new IllegalArgumentException("labels: '" + names.get(i) + "' is named twice in " + names);
      }
    }
  }

  /** Every distinct label of the rows, in the order described above; streams the file once. */
  public static LabelNames collect(TextRows rows) throws IOException {
    Set<String> seen = new LinkedHashSet<>();
    for (TextRow r = rows.next(); r != null; r = rows.next()) {
      seen.add(r.label());
    }
    if (seen.isEmpty()) {
      throw new IllegalArgumentException(rows.file() + ": no rows");
    }
    List<String> sorted = new ArrayList<>(seen);
    if (sorted.stream().allMatch(s -> s.matches("-?\\d{1,18}"))) {
      sorted.sort((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)));
    } else {
      sorted.sort(null);
    }
    return new LabelNames(sorted);
  }

  public List<String> names() {
    return names;
  }

  public int size() {
    return names.size();
  }

  /** The id of a label name, or -1 when it is not one of these. */
  public int id(String name) {
    return ids.getOrDefault(name, -1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelNames l && l.names.equals(names);
  }

  @Override
  public int hashCode() {
    return names.hashCode();
  }

  @Override
  public String toString() {
    return names.toString();
  }
}
