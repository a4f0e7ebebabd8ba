package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDatasetTest {
    @TempDir
    Path dir;

    private Path img(String relative) {
        return TestImages.png(dir.resolve(relative), 4, 4, 0x336699);
    }

    private static List<String> names(List<Item> items) {
        return items.stream().map(i -> i.path().getFileName().toString()).collect(Collectors.toList());
    }

    @Test
    void folderSplitUsesTrainAndValidFolders() {
        img("train/dog/b.png");
        img("train/dog/a.jpg.png");
        img("train/cat/z.png");
        img("train/cat/.hidden.png");
        TestImages.text(dir.resolve("train/cat/notes.txt"), "not an image");
        img("valid/cat/v1.png");
        img("valid/dog/v2.png");
        ImageDataset ds = ImageDataset.fromFolders(dir);
        assertThat(ds.task()).isEqualTo(Task.SINGLE_LABEL);
        assertThat(ds.classes()).containsExactly("cat", "dog");
        assertThat(names(ds.train())).containsExactly("z.png", "a.jpg.png", "b.png");
        assertThat(ds.train().get(0).classIndex()).isZero();
        assertThat(ds.train().get(2).classIndex()).isEqualTo(1);
        assertThat(names(ds.valid())).containsExactly("v1.png", "v2.png");
        assertThat(ds.targetWidth()).isEqualTo(2);
    }

    @Test
    void valFolderCountsAsValidationAndTrainOnlyClassIsFine() {
        img("train/a/1.png");
        img("train/b/1.png");
        img("train/c/1.png");
        img("val/a/2.png");
        ImageDataset ds = ImageDataset.fromFolders(dir);
        assertThat(ds.classes()).containsExactly("a", "b", "c");
        assertThat(ds.valid()).hasSize(1);
    }

    @Test
    void validClassMissingFromTrainIsAnError() {
        img("train/a/1.png");
        img("train/b/1.png");
        img("valid/a/2.png");
        img("valid/zebra/2.png");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("zebra").hasMessageContaining("no images in");
    }

    @Test
    void bothValidAndValIsAnError() {
        img("train/a/1.png");
        img("train/b/1.png");
        img("valid/a/2.png");
        img("val/a/2.png");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir)).isInstanceOf(GraftException.class)
                .hasMessageContaining("both valid/ and val/");
    }

    @Test
    void plainClassFoldersSplitAtRandomDeterministically() {
        for (String c : List.of("x", "y")) {
            for (int i = 0; i < 10; i++) {
                img(c + "/" + i + ".png");
            }
        }
        ImageDataset a = ImageDataset.fromFolders(dir);
        ImageDataset b = ImageDataset.fromFolders(dir);
        ImageDataset other = ImageDataset.fromFolders(dir, 0.2, 7);
        assertThat(a.valid()).hasSize(4);
        assertThat(a.train()).hasSize(16);
        assertThat(a.valid()).isEqualTo(b.valid());
        assertThat(other.valid()).isNotEqualTo(a.valid());
        Set<Item> all = new HashSet<>(a.train());
        all.addAll(a.valid());
        assertThat(all).hasSize(20);
        assertThat(ImageDataset.fromFolders(dir, 0.5, 1).valid()).hasSize(10);
        assertThat(ImageDataset.fromFolders(dir, 0.0, 1).valid()).isEmpty();
    }

    @Test
    void nestedFilesBelongToTheirTopClassFolder() {
        img("a/sub/1.png");
        img("a/2.png");
        img("b/3.bmp.png");
        ImageDataset ds = ImageDataset.fromFolders(dir, 0, 1);
        assertThat(ds.train()).extracting(Item::classIndex).containsExactly(0, 0, 1);
    }

    @Test
    void badFoldersAreReportedClearly() throws IOException {
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir.resolve("nope")))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("Dataset folder not found");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("Dataset folder is empty");
        Files.createDirectories(dir.resolve("a"));
        TestImages.text(dir.resolve("a/readme.txt"), "x");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("No images");
        img("only/1.png");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir))
                .isInstanceOf(GraftException.class).hasMessageContaining("Only one class (only)");
        Path loose = dir.resolve("loose");
        TestImages.png(loose.resolve("1.png"), 2, 2, 0);
        assertThatThrownBy(() -> ImageDataset.fromFolders(loose))
                .isInstanceOf(GraftException.class).hasMessageContaining("directly in");
        Path file = img("f.png");
        assertThatThrownBy(() -> ImageDataset.fromFolders(file))
                .isInstanceOf(GraftException.class).hasMessageContaining("not a folder");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir, 1.0, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("Validation percentage");
    }

    @Test
    void messagesAreOneLine() {
        img("train/a/1.png");
        img("valid/b/1.png");
        assertThatThrownBy(() -> ImageDataset.fromFolders(dir)).satisfies(e -> assertThat(e.getMessage())
                .doesNotContain("\n"));
    }
}
