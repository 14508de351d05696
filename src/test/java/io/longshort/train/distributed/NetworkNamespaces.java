package io.longshort.train.distributed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Separate "hosts" on this machine for tests: one Linux network namespace per host, each with an
 * {@code eth0} (a veth) plugged into a bridge that lives in a namespace of its own (the switch), on
 * the subnet 10.213.0.0/24. Nothing is added to the machine's own namespace, so the addresses reach
 * only these hosts, and two sets never see each other. Needs root and iproute2's {@code ip}.
 *
 * <p>Namespaces are named {@code lsn<pid>-<host>} after the JVM that made them: {@link #close}
 * deletes them, a shutdown hook does when the JVM exits early, and the next set deletes those of
 * JVMs that are gone (killed before either ran).
 */
final class NetworkNamespaces implements AutoCloseable {
  static final String SUBNET = "10.213.0.";
  private static final Pattern OURS = Pattern.compile("^(lsn(\\d+)-\\S+)");

  private final String prefix = "lsn" + ProcessHandle.current().pid() + "-";
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final List<String> made = new ArrayList<>();
  private final Thread hook = new Thread(this::deleteAll, "delete-network-namespaces");

  /** Why namespaces cannot be made here, or null when they can: it makes and deletes one to see. */
  static String unavailable() {
    if (!installed("ip")) {
      return "iproute2's `ip` is not installed";
    }
    String probe = "lsn" + ProcessHandle.current().pid() + "-probe";
    try {
      Result r = run(List.of("ip", "netns", "add", probe));
      if (r.status != 0) {
        return "cannot make a network namespace (`ip netns add` needs root; user " + System.getProperty("user.name")
            + "): " + r.output;
      }
      run(List.of("ip", "netns", "delete", probe));
    } catch (IOException e) {
      return "cannot run `ip netns add`: " + e.getMessage();
    }
    return null;
  }

  /** Hosts named {@code names}, host k at 10.213.0.(k+1). */
  NetworkNamespaces(List<String> names) throws IOException {
    Runtime.getRuntime().addShutdownHook(hook);
    deleteLeftovers();
    try {
      String sw = namespace("switch");
      create(sw);
      ip("-n", sw, "link", "add", "br0", "type", "bridge");
      ip("-n", sw, "link", "set", "br0", "up");
      for (int k = 0; k < names.size(); k++) {
        String host = names.get(k);
        String ns = namespace(host);
        create(ns);
        String port = "p" + k;
        ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("-n", sw, "link", "set", port, "master", "br0", "up");
        String address = SUBNET + (k + 1);
        ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
        addresses.put(host, address);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  String address(String host) {
    return addresses.get(host);
  }

  /** The command line that runs {@code command} on {@code host}. */
  List<String> on(String host, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
    cmd.addAll(command);
    return cmd;
  }

  /** Takes {@code host}'s only link down: nothing it sends or is sent arrives any more. */
  void linkDown(String host) throws IOException {
    ip("-n", namespace(host), "link", "set", "eth0", "down");
  }

  void linkUp(String host) throws IOException {
    ip("-n", namespace(host), "link", "set", "eth0", "up");
  }

  /**
   * Whether a TCP connection from {@code from} to {@code address:port} is accepted within 3 s
   * (bash's /dev/tcp; a firewall that drops the SYN leaves it waiting, so the wait is bounded).
   */
  boolean connects(String from, String address, int port) throws IOException {
    Result r = run(on(from, List.of("timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port)));
    return r.status == 0;
  }

  /** Runs {@code command} on {@code host}, feeding it {@code input}; fails unless it exits 0. */
  void exec(String host, List<String> command, String input) throws IOException {
    Result r = run(on(host, command), input);
    if (r.status != 0) {
      throw new IOException(String.join(" ", command) + " on " + host + " exited " + r.status + ": " + r.output);
    }
  }

  @Override
  public void close() {
    deleteAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  private synchronized void deleteAll() {
    // deleting a namespace deletes its end of every veth, and with it the other end
    for (int i = made.size() - 1; i >= 0; i--) {
      try {
        run(List.of("ip", "netns", "delete", made.get(i)));
      } catch (IOException e) {
        // best effort: the next set deletes what is left
      }
    }
    made.clear();
  }

  /** Deletes the namespaces of earlier test JVMs that no longer run. */
  private static void deleteLeftovers() throws IOException {
    for (String line : run(List.of("ip", "netns", "list")).output.split("\n")) {
      Matcher m = OURS.matcher(line);
      if (m.find() && ProcessHandle.of(Long.parseLong(m.group(2))).isEmpty()) {
        run(List.of("ip", "netns", "delete", m.group(1)));
      }
    }
  }

  private String namespace(String host) {
    return prefix + host;
  }

  private void create(String ns) throws IOException {
    ip("netns", "add", ns);
    made.add(ns);
  }

  private static void ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    Result r = run(cmd);
    if (r.status != 0) {
      throw new IOException(String.join(" ", cmd) + " exited " + r.status + ": " + r.output);
    }
  }

  private record Result(int status, String output) {}

  private static Result run(List<String> cmd) throws IOException {
    return run(cmd, null);
  }

  private static Result run(List<String> cmd, String input) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (input != null) {
      p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not end within 30 s");
      }
      return new Result(p.exitValue(), out.strip());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }

  /** Whether {@code program} is on the PATH. */
  static boolean installed(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
