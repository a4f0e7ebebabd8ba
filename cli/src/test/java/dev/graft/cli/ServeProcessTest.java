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

/** {@code graft serve} as a process: SIGTERM lets the request in flight finish, then the process exits cleanly. */
class ServeProcessTest {

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
                Thread.sleep(500); // the request is admitted and reading its body
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
}
