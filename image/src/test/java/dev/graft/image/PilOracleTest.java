package dev.graft.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graft's decoding against PIL's, the decoder fastai trains with: Debian's python3-pil writes an image of every kind
 * (RGB, RGBA, grey, grey + alpha, bilevel and palette PNGs, a palette GIF, a BMP, JPEGs: RGB, grey, Adobe CMYK and
 * EXIF orientations 1 to 8) and decodes each with {@code ImageOps.exif_transpose(...).convert("RGB")}; Graft must
 * give the same pixels exactly, JPEGs included (ImageIO's decoder and PIL's libjpeg-turbo both run IJG's integer IDCT
 * and upsampling), and PIL's luma {@code convert("L")} exactly. 16-bit PNGs are left out on purpose: PIL keeps the
 * high byte of 16-bit RGB and clips 16-bit grey to 255, Graft rounds (see docs/images.md). A test-time oracle:
 * skipped where python3-pil is missing, a failure with CI=true (test.sh installs it with python3-torchvision).
 */
class PilOracleTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    @TempDir
    static Path work;
    /** PIL's images and its decodings of them. */
    static Path dir;

    @BeforeAll
    static void writeWithPil() throws Exception {
        boolean pil = Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import PIL")) == 0;
        if (!pil) {
            String what = "/usr/bin/python3 with PIL (python3-pil) is not installed";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(what + " (CI=true: a missing test tool fails the run instead of skipping)");
            }
            Assumptions.abort(what + " (skipped; with CI=true this fails)");
        }
        dir = Files.createDirectory(work.resolve("images"));
        Path script = work.resolve("pil_oracle.py");
        try (InputStream in = PilOracleTest.class.getResourceAsStream("pil_oracle.py")) {
            Files.write(script, in.readAllBytes());
        }
        assertThat(run(List.of(PYTHON.toString(), script.toString(), dir.toString()))).as("PIL wrote the images")
                .isZero();
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** PIL's decoding: width, height, then one byte per sample. */
    private record Raw(int width, int height, byte[] samples) {
        static Raw read(Path file) throws IOException {
            byte[] all = Files.readAllBytes(file);
            int nl = 0;
            while (all[nl] != '\n') {
                nl++;
            }
            String[] wh = new String(all, 0, nl, StandardCharsets.US_ASCII).split(" ");
            byte[] samples = java.util.Arrays.copyOfRange(all, nl + 1, all.length);
            return new Raw(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), samples);
        }
    }

    private static List<Path> images() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().matches(".*\\.(png|jpg|gif|bmp)$")).sorted().toList();
        }
    }

    @Test
    void everyKindDecodesToPilsPixels() throws IOException {
        List<Path> images = images();
        assertThat(images).hasSizeGreaterThanOrEqualTo(19);
        for (Path image : images) {
            String name = image.getFileName().toString();
            Raw pil = Raw.read(dir.resolve(name + ".rgb"));
            PixelBuffer p = new PixelBuffer();
            ImageDecoder.decode(Files.readAllBytes(image), ImageDecoder.DEFAULT_MAX_PIXELS, p);
            assertThat(p.width()).as(name).isEqualTo(pil.width());
            assertThat(p.height()).as(name).isEqualTo(pil.height());
            int worst = 0;
            for (int i = 0; i < pil.width() * pil.height(); i++) {
                int v = p.data()[i];
                for (int c = 0; c < 3; c++) {
                    int mine = (v >> (16 - 8 * c)) & 0xFF;
                    worst = Math.max(worst, Math.abs(mine - (pil.samples()[3 * i + c] & 0xFF)));
                }
            }
            assertThat(worst).as(name + ": largest difference from PIL, in levels").isZero();
        }
    }

    @Test
    void theLumaChannelIsPilsConvertL() throws IOException {
        for (Path image : images()) {
            String name = image.getFileName().toString();
            if (name.endsWith(".jpg")) {
                continue; // PIL's luma of PIL's JPEG pixels: the JPEG test above covers the pixels
            }
            Raw pil = Raw.read(dir.resolve(name + ".l"));
            PixelBuffer p = new PixelBuffer();
            ImageDecoder.decode(Files.readAllBytes(image), ImageDecoder.DEFAULT_MAX_PIXELS, p);
            // at its own size with squish, every output pixel is one source pixel: the table value of its luma
            Preprocessor luma = new Preprocessor(p.height(), p.width(), ResizeMethod.SQUISH, "L", new float[] {0},
                    new float[] {1});
            float[] out = new float[luma.floatsPerImage()];
            luma.apply(p, luma.newScratch(), out, 0);
            for (int i = 0; i < out.length; i++) {
                assertThat(Math.round(out[i] * 255)).as(name + " pixel " + i).isEqualTo(pil.samples()[i] & 0xFF);
            }
        }
    }
}
