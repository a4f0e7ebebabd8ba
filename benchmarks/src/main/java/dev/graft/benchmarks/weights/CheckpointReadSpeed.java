package dev.graft.benchmarks.weights;

import dev.graft.benchmarks.system.ProcessMetrics;
import dev.graft.models.GraftException;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reading a torchvision state dict saved by {@code torch.save} (zip and legacy formats) against reading the same
 * tensors from safetensors: median time of several alternated rounds, their ratio, and the peak resident memory a
 * fresh JVM adds reading each file once.
 *
 * <p>"Reading" is what every Graft command does with a weight file: open it and touch every byte of every tensor
 * (here a checksum, which also proves the formats hold the same values). The files are written once by Debian's
 * {@code /usr/bin/python3} with torch and torchvision (random initialisation, nothing downloaded) and then sit in the
 * page cache, so the figures compare the readers, not the disk. A benchmark, not a test: it prints and judges nothing.
 *
 * <p>Usage: {@code CheckpointReadSpeed [arch=resnet152] [rounds=5]}.
 */
public final class CheckpointReadSpeed {
    private static final String WRITER = String.join("\n",
        "import json, struct, sys, torch, torchvision",
        "torch.manual_seed(0)",
        "sd = getattr(torchvision.models, sys.argv[1])().state_dict()",
        "out = sys.argv[2]",
        "torch.save(sd, out + '/model.pth')",
        "torch.save(sd, out + '/model-legacy.pth', _use_new_zipfile_serialization=False)",
        "names = {torch.float32: 'F32', torch.int64: 'I64'}",
        "header, blobs, off = {}, [], 0",
        "for k, t in sd.items():",
        "    b = t.contiguous().numpy().tobytes()",
        "    header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}",
        "    off += len(b)",
        "    blobs.append(b)",
        "h = json.dumps(header).encode()",
        "h += b' ' * ((8 - len(h) % 8) % 8)",
        "with open(out + '/model.safetensors', 'wb') as f:",
        "    f.write(struct.pack('<Q', len(h)))",
        "    f.write(h)",
        "    for b in blobs:",
        "        f.write(b)",
        "");

    /** One timed read: its duration, the checksum of every byte and the bytes read. */
    record Read(double millis, long checksum, long bytes) {
    }

    private CheckpointReadSpeed() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--peak-of")) {
            // a fresh process reads one file once: nothing mapped before, so its peak growth is what the read costs
            long before = ProcessMetrics.rssBytes();
            Read r = read(Path.of(args[1]));
            System.out.println(ProcessMetrics.peakRssBytes() - before + " " + r.bytes());
            return;
        }
        String arch = args.length > 0 ? args[0] : "resnet152";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("graft-read-speed");
        try {
            System.out.println("writing " + arch + "'s state dict with /usr/bin/python3 (torch.save zip, legacy, safetensors)");
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", WRITER, arch, dir.toString())
                .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new GraftException("python3 could not write the fixtures: " + log.strip());
            }
            Path zip = dir.resolve("model.pth");
            Path legacy = dir.resolve("model-legacy.pth");
            Path safetensors = dir.resolve("model.safetensors");
            System.out.printf(Locale.ROOT, "files: zip %.1f MB, legacy %.1f MB, safetensors %.1f MB%n",
                Files.size(zip) / 1e6, Files.size(legacy) / 1e6, Files.size(safetensors) / 1e6);
            for (Path f : List.of(zip, legacy, safetensors)) {
                read(f); // warm the page cache and the JIT
            }
            List<Read> zipReads = new ArrayList<>();
            List<Read> legacyReads = new ArrayList<>();
            List<Read> safeReads = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                // the order turns each round, so that no format always follows the same one
                Read s = null;
                Read z = null;
                Read l = null;
                for (int k = 0; k < 3; k++) {
                    switch ((round + k) % 3) {
                        case 0 -> s = read(safetensors);
                        case 1 -> z = read(zip);
                        default -> l = read(legacy);
                    }
                }
                safeReads.add(s);
                zipReads.add(z);
                legacyReads.add(l);
                if (s.checksum() != z.checksum() || s.checksum() != l.checksum()) {
                    throw new GraftException("the formats disagree: checksums " + s.checksum() + ", " + z.checksum()
                        + ", " + l.checksum());
                }
                System.out.printf(Locale.ROOT, "round %d: safetensors %.1f ms, zip .pth %.1f ms, legacy .pth %.1f ms%n",
                    round, s.millis(), z.millis(), l.millis());
            }
            double s = median(safeReads);
            double z = median(zipReads);
            double l = median(legacyReads);
            long bytes = safeReads.get(0).bytes();
            System.out.printf(Locale.ROOT, "%s: %.1f MB of tensors; median of %d: safetensors %.1f ms, zip .pth %.1f ms,"
                + " legacy .pth %.1f ms%n", arch, bytes / 1e6, rounds, s, z, l);
            System.out.printf(Locale.ROOT, "zip .pth / safetensors read time: %.3f (target at most 1.10); legacy / safetensors:"
                + " %.3f (reported only)%n", z / s, l / s);
            System.out.printf(Locale.ROOT, "peak resident memory a fresh JVM adds reading the file once (tensors: %.1f MB):"
                + " safetensors %.1f MB, zip .pth %.1f MB, legacy .pth %.1f MB%n", bytes / 1e6, peakOf(safetensors) / 1e6,
                peakOf(zip) / 1e6, peakOf(legacy) / 1e6);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** The peak resident memory a new JVM adds reading {@code file} once, in bytes. */
    private static long peakOf(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
            System.getProperty("java.class.path"), CheckpointReadSpeed.class.getName(), "--peak-of", file.toString())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new GraftException("the memory probe failed: " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /** Opens the file and touches every byte of every tensor; the mapping is dropped before the next read. */
    static Read read(Path file) throws IOException {
        // the previous read's mappings are unmapped when collected: let that happen now, not inside the timing
        System.gc();
        long start = System.nanoTime();
        long checksum = 0;
        long bytes = 0;
        try (TensorFile tensors = WeightFiles.open(file)) {
            for (Map.Entry<String, Tensor> e : tensors.all().entrySet()) {
                ByteBuffer data = e.getValue().data().order(ByteOrder.LITTLE_ENDIAN);
                long sum = e.getKey().hashCode();
                int i = 0;
                for (; i + 8 <= data.limit(); i += 8) {
                    sum = sum * 31 + data.getLong(i);
                }
                for (; i < data.limit(); i++) {
                    sum = sum * 31 + data.get(i);
                }
                checksum += sum;
                bytes += data.limit();
            }
        }
        double millis = (System.nanoTime() - start) / 1e6;
        return new Read(millis, checksum, bytes);
    }

    private static double median(List<Read> reads) {
        double[] m = reads.stream().mapToDouble(Read::millis).sorted().toArray();
        return m.length % 2 == 1 ? m[m.length / 2] : (m[m.length / 2 - 1] + m[m.length / 2]) / 2;
    }
}
