package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft serve} as a process: SIGTERM lets the request in flight finish, then the process exits cleanly; slow and
 * silent clients on real sockets cost connections for the configured times while {@code /health} keeps answering.
 */
class ServeProcessTest {

    /** Starts {@code graft serve} on a free loopback port; returns the process and, in {@code port[0]}, its port. */
    private static Process serve(Path model, int[] port, String... options) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "dev.graft.cli.GraftCommand", "serve",
                model.toString(), "--port", "0", "--device", "cpu"));
        cmd.addAll(List.of(options));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern url = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/predict");
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = url.matcher(line);
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "serve-output");
                drain.setDaemon(true);
                drain.start();
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("graft serve did not start:\n" + seen);
    }

    private static String http(int port, String request, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream o = s.getOutputStream();
            o.write(request.getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                o.write(body);
            }
            o.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void slowAndSilentClientsCostAConnectionForTheConfiguredTimeOnly(@TempDir Path dir) throws Exception {
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", 32);
        int[] port = new int[1];
        Process p = serve(model, port, "--threads", "1", "--queue", "3", "--header-timeout", "3",
                "--body-timeout", "4");
        List<Socket> held = new java.util.ArrayList<>();
        try {
            byte[] png = EdgeFixtures.encode(EdgeFixtures.picture(80, 60, 4), "png");
            assertThat(http(port[0], "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null))
                    .startsWith("HTTP/1.1 200 ");
            for (int i = 0; i < 71; i++) { // unfinished header blocks: one more than the old server had threads
                Socket s = new Socket("127.0.0.1", port[0]);
                held.add(s);
                s.getOutputStream().write("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty".getBytes(
                        StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < 4; i++) { // complete headers, no body: they fill --threads + --queue
                Socket s = new Socket("127.0.0.1", port[0]);
                held.add(s);
                s.getOutputStream().write(("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: " + png.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            Thread.sleep(300);
            long t0 = System.nanoTime();
            String health = http(port[0], "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
            String busy = http(port[0], "POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                    + png.length + "\r\n\r\n", png);
            long during = (System.nanoTime() - t0) / 1_000_000;
            assertThat(health).startsWith("HTTP/1.1 200 ").contains("\"ok\"");
            assertThat(busy).startsWith("HTTP/1.1 503 ").contains("Retry-After: 1");
            assertThat(during).as("answered while the slow clients were connected").isLessThan(3_000);
            // the silent uploads get 408 at the body timeout and free their places; the rest are closed
            Thread.sleep(5_000);
            String ok = http(port[0], "POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                    + png.length + "\r\n\r\n", png);
            assertThat(ok).startsWith("HTTP/1.1 200 ").contains("\"predictions\"");
            String metrics = http(port[0], "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
            System.out.println("graft serve after 71 slow and 4 silent clients: " + metrics.lines()
                    .filter(l -> l.startsWith("graft_client") || l.contains("code=")).toList());
            assertThat(metrics).contains("graft_client_timeouts_total{phase=\"headers\"} 71",
                    "graft_client_timeouts_total{phase=\"body\"} 4",
                    "graft_requests_total{path=\"/predict\",code=\"408\"} 4",
                    "graft_requests_total{path=\"/predict\",code=\"503\"} 1",
                    "graft_requests_total{path=\"/predict\",code=\"200\"} 1").doesNotContain("code=\"500\"");
            for (Socket s : held) {
                s.setSoTimeout(5_000);
                InputStream in = s.getInputStream();
                try {
                    in.readAllBytes(); // the server has closed every one of them
                } catch (IOException reset) {
                    // closed as well
                }
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExits(@TempDir Path dir) throws Exception {
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", 32);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "dev.graft.cli.GraftCommand", "serve",
                model.toString(), "--port", "0", "--threads", "1", "--device", "cpu");
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            StringBuilder seen = new StringBuilder();
            String line;
            Pattern url = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/predict");
            while (port < 0 && (line = out.readLine()) != null) {
                seen.append(line).append('\n');
                Matcher m = url.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertThat(port).as(seen.toString()).isPositive();
            byte[] body = EdgeFixtures.encode(EdgeFixtures.picture(80, 60, 9), "png");
            int half = body.length / 2;
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(60_000);
                OutputStream o = s.getOutputStream();
                o.write(("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                o.write(body, 0, half);
                o.flush();
                // the request is admitted and reading its body: /metrics counts it and itself (a fixed sleep was
                // too short for a cold server process on a busy machine, which then had nothing to drain)
                awaitInFlight(port, 2);
                p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
                String stopping = out.readLine();
                assertThat(stopping).startsWith("graft: stopping (letting running requests finish");
                o.write(body, half, body.length - half);
                o.flush();
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(response).startsWith("HTTP/1.1 200 OK").contains("\"predictions\":[{\"label\":");
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            List<String> rest = out.lines().toList();
            System.out.println("graft serve after SIGTERM: " + rest + ", exit " + p.exitValue());
            assertThat(rest).contains("graft: stopped");
            assertThat(p.exitValue()).isEqualTo(143);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Waits (at most 60 s) until {@code /metrics} reports at least {@code n} requests in flight, its own included. */
    private static void awaitInFlight(int port, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Pattern gauge = Pattern.compile("(?m)^graft_requests_in_flight (\\d+)$");
        while (true) {
            java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(
                "http://127.0.0.1:" + port + "/metrics").openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(5_000);
            String text;
            try (InputStream in = c.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Matcher m = gauge.matcher(text);
            if (m.find() && Integer.parseInt(m.group(1)) >= n) {
                return;
            }
            assertThat(System.nanoTime()).as("requests in flight never reached " + n + ": " + text).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
