package dev.graft.benchmarks.serve;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * A real {@code graft serve} process under a flood of large-but-legal images, against itself at rest in the same run:
 * its resident memory (idle, and the peak during the flood, from {@code /proc/PID/status}) and the latency of a small
 * image sent one at a time (idle, and while the flood runs).
 *
 * <p>The flood is 32 PNGs of 7000 x 7000 pixels (a few hundred KB each, far under any body limit) sent by 16
 * concurrent clients that honour 503's Retry-After and send again. Idle and flood phases alternate for a few rounds so
 * that whatever else the machine does weighs on both. Printed: the figures, the bound
 * {@code idle + decode budget + 256 MB} and the latency ratio, which the server's decoding budget is meant to keep under
 * 2.
 *
 * <pre>
 * java -cp "cli/target/graft-cli.jar:cli/target/lib/*" dev.graft.benchmarks.serve.ServeFlood MODEL.onnx
 *     [--graft ./graft] [--budget-mb 512] [--flood 32] [--clients 16] [--side 7000] [--rounds 3]
 *     [-- extra graft serve options]
 * </pre>
 *
 * <p>{@code --budget-mb 0} passes no {@code --decode-budget} (for a build without the option); the printed bound then
 * uses 0 for the budget.
 */
public final class ServeFlood {
    private static final Pattern URL = Pattern.compile("http://[^:/]+:(\\d+)/predict");

    private ServeFlood() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ServeFlood MODEL.onnx [--graft ./graft] [--budget-mb 512] [--flood 32]"
                    + " [--clients 16] [--side 7000] [--rounds 3] [-- extra graft serve options]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        String graft = "./graft";
        long budgetMb = 512;
        int flood = 32;
        int clients = 16;
        int side = 7000;
        int rounds = 3;
        List<String> extra = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--graft" -> graft = args[++i];
                case "--budget-mb" -> budgetMb = Long.parseLong(args[++i]);
                case "--flood" -> flood = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--side" -> side = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--" -> {
                    extra.addAll(Arrays.asList(args).subList(i + 1, args.length));
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        byte[] big = bigPng(side);
        byte[] small = smallJpeg();
        System.out.printf(Locale.ROOT, "flood image: %d x %d PNG, %d bytes; small image: 320 x 240 JPEG, %d bytes%n",
                side, side, big.length, small.length);

        List<String> cmd = new ArrayList<>(List.of(graft, "serve", model.toString(), "--host", "127.0.0.1",
                "--port", "0"));
        if (budgetMb > 0) { // 0: a server without the option (an older build), measured as it is
            cmd.addAll(List.of("--decode-budget", budgetMb + "MB"));
        }
        cmd.addAll(extra);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            String line;
            while (port < 0 && (line = out.readLine()) != null) {
                System.out.println("  " + line);
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            if (port < 0) {
                throw new IllegalStateException("graft serve did not start");
            }
            Thread drain = new Thread(() -> {
                try {
                    String l;
                    while ((l = out.readLine()) != null) {
                        System.out.println("  " + l);
                    }
                } catch (IOException e) {
                    // the process has gone
                }
            }, "serve-output");
            drain.setDaemon(true);
            drain.start();
            run(p.pid(), port, big, small, budgetMb, flood, clients, rounds);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static void run(long pid, int port, byte[] big, byte[] small, long budgetMb, int flood, int clients,
            int rounds)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI predict = URI.create("http://127.0.0.1:" + port + "/predict");
        // warm-up: JIT, ONNX Runtime's first runs, the decoder's classes; one large image included
        for (int i = 0; i < 60; i++) {
            send(http, predict, small);
        }
        send(http, predict, big);
        System.gc();
        Thread.sleep(2_000);

        long idleRss = rssKb(pid, "VmRSS:");
        List<Double> idle = new ArrayList<>();
        List<Double> during = new ArrayList<>();
        Map<Integer, AtomicInteger> codes = new ConcurrentHashMap<>();
        AtomicLong peakSampled = new AtomicLong(idleRss);
        long hwm = 0;
        double floodSeconds = 0;
        // Idle and flood phases alternate, so that what else the machine is doing weighs on both alike.
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < 40; i++) {
                long t0 = System.nanoTime();
                int code = send(http, predict, small);
                if (code != 200) {
                    throw new IllegalStateException("idle request answered " + code);
                }
                idle.add((System.nanoTime() - t0) / 1e6);
            }
            if (round == 0) {
                idleRss = Math.max(idleRss, rssKb(pid, "VmRSS:"));
                resetPeak(pid);
            }
            AtomicBoolean flooding = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (flooding.get()) {
                    peakSampled.accumulateAndGet(rssKb(pid, "VmRSS:"), Math::max);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long f0 = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    while (next.getAndIncrement() < flood) {
                        // a well-behaved client: on 503 it waits as Retry-After says and sends the image again
                        for (int attempt = 0; attempt < 20; attempt++) {
                            HttpResponse<Void> r = sendFull(http, predict, big);
                            codes.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                            if (r.statusCode() != 503) {
                                break;
                            }
                            Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")));
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(200); // let the flood arrive first
            while (futures.stream().anyMatch(f -> !f.isDone())) {
                long t0 = System.nanoTime();
                int code = send(http, predict, small);
                if (code == 200) {
                    during.add((System.nanoTime() - t0) / 1e6);
                } else {
                    codes.computeIfAbsent(-code, k -> new AtomicInteger()).incrementAndGet();
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
            floodSeconds += (System.nanoTime() - f0) / 1e9;
            flooding.set(false);
            sampler.join();
            pool.shutdown();
            hwm = Math.max(hwm, rssKb(pid, "VmHWM:"));
        }
        long peak = Math.max(hwm, peakSampled.get());

        double idleMedian = median(idle.stream().mapToDouble(Double::doubleValue).toArray());
        double floodMedian = median(during.stream().mapToDouble(Double::doubleValue).toArray());
        long boundMb = idleRss / 1024 + budgetMb + 256;
        System.out.printf(Locale.ROOT, "flood: %d rounds of %d images of %d bytes at %d clients, %.1f s in all;"
                + " answers %s (negative: the small image's non-200 answers)%n", rounds, flood, big.length, clients,
                floodSeconds, new TreeMap<>(codes));
        System.out.printf(Locale.ROOT, "resident memory: idle %d MB, flood peak %d MB (VmHWM %d MB, sampled %d MB),"
                + " decode budget %d MB, bound idle + budget + 256 MB = %d MB: %s (peak / bound %.2f)%n",
                idleRss / 1024, peak / 1024, hwm / 1024, peakSampled.get() / 1024, budgetMb, boundMb,
                peak / 1024 <= boundMb ? "within" : "OVER", peak / 1024.0 / boundMb);
        double[] i = idle.stream().mapToDouble(Double::doubleValue).toArray();
        double[] d = during.stream().mapToDouble(Double::doubleValue).toArray();
        System.out.printf(Locale.ROOT, "small image latency: idle median %.1f ms (p90 %.1f, max %.1f; %d requests),"
                + " during the flood median %.1f ms (p90 %.1f, max %.1f; %d requests): median ratio %.2f (target"
                + " under 2)%n", idleMedian, quantile(i, 0.9), quantile(i, 1), i.length, floodMedian,
                quantile(d, 0.9), quantile(d, 1), d.length, floodMedian / idleMedian);
    }

    private static HttpResponse<Void> sendFull(HttpClient http, URI uri, byte[] body)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
    }

    private static int send(HttpClient http, URI uri, byte[] body) throws IOException, InterruptedException {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
        return r.statusCode();
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return v[(int) Math.min(v.length - 1, Math.ceil(q * v.length) - 1)];
    }

    /** A {@code side} x {@code side} RGB PNG that compresses to little: bands of colour with a few edges. */
    static byte[] bigPng(int side) throws IOException {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
        int[] row = new int[side];
        for (int y = 0; y < side; y++) {
            int band = y / 1000;
            for (int x = 0; x < side; x++) {
                row[x] = ((x / 1000 + band) % 2 == 0) ? 0x3366CC : 0xEECC22;
            }
            img.setRGB(0, y, side, 1, row, 0, side);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static byte[] smallJpeg() throws IOException {
        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 240; y++) {
            for (int x = 0; x < 320; x++) {
                img.setRGB(x, y, (x * 255 / 320) << 16 | (y * 255 / 240) << 8 | ((x + y) & 0xFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", out);
        return out.toByteArray();
    }

    private static long rssKb(long pid, String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith(key)) {
                    return Long.parseLong(l.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Resets the process's peak resident size so that VmHWM covers the flood only (Linux 4.0+; else it stays). */
    private static void resetPeak(long pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
        } catch (IOException e) {
            System.out.println("(cannot reset the peak resident size: " + e.getMessage() + "; sampled figures only)");
        }
    }
}
