package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {
    @TempDir
    Path dir;

    private void img(String relative) {
        TestImages.png(dir.resolve(relative), 4, 4, 0x123456);
    }

    @Test
    void multiLabelWithHeaderAndIsValid() {
        img("a.png");
        img("b.png");
        img("images/c.png");
        Path csv = TestImages.text(dir.resolve("labels.csv"),
                "fname,labels,is_valid\na.png,dog cat,False\nb.png,cat,false\n\n\"c.png\",  bird  dog ,True\n");
        ImageDataset ds = ImageDataset.fromMultiLabelCsv(csv);
        assertThat(ds.task()).isEqualTo(Task.MULTI_LABEL);
        assertThat(ds.classes()).containsExactly("bird", "cat", "dog");
        assertThat(ds.train()).hasSize(2);
        assertThat(ds.train().get(0).multiHot()).containsExactly(0f, 1f, 1f);
        assertThat(ds.train().get(1).multiHot()).containsExactly(0f, 1f, 0f);
        assertThat(ds.valid()).hasSize(1);
        assertThat(ds.valid().get(0).path()).isEqualTo(dir.resolve("images/c.png"));
        assertThat(ds.valid().get(0).multiHot()).containsExactly(1f, 0f, 1f);
    }

    @Test
    void headerlessMultiLabelSplitsAtRandom() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            img("images/" + i + ".png");
            sb.append(i).append(".png,").append(i % 2 == 0 ? "even" : "odd").append(i % 3 == 0 ? " three" : "")
                    .append('\n');
        }
        Path csv = TestImages.text(dir.resolve("l.csv"), sb.toString());
        ImageDataset ds = ImageDataset.fromMultiLabelCsv(csv);
        assertThat(ds.classes()).containsExactly("even", "odd", "three");
        assertThat(ds.train()).hasSize(8);
        assertThat(ds.valid()).hasSize(2);
        assertThat(ImageDataset.fromMultiLabelCsv(csv).valid()).isEqualTo(ds.valid());
    }

    @Test
    void regressionCsv() {
        img("a.png");
        img("b.png");
        Path csv = TestImages.text(dir.resolve("r.csv"), "file,age\na.png,3.5\nb.png,-1e1\n");
        ImageDataset ds = ImageDataset.fromCsv(csv, Task.REGRESSION, null, 0, 1);
        assertThat(ds.classes()).isEmpty();
        assertThat(ds.targetWidth()).isEqualTo(1);
        assertThat(ds.train()).extracting(Item::value).containsExactly(3.5f, -10f);
    }

    @Test
    void singleLabelCsv() {
        img("a.png");
        img("b.png");
        Path csv = TestImages.text(dir.resolve("s.csv"), "a.png,cat\nb.png,dog\n");
        ImageDataset ds = ImageDataset.fromCsv(csv, Task.SINGLE_LABEL, null, 0, 1);
        assertThat(ds.train()).extracting(Item::classIndex).containsExactly(0, 1);
    }

    @Test
    void missingFilesAreListed() {
        img("a.png");
        StringBuilder sb = new StringBuilder("fname,labels\na.png,x\n");
        for (int i = 0; i < 8; i++) {
            sb.append("gone").append(i).append(".png,x\n");
        }
        Path csv = TestImages.text(dir.resolve("l.csv"), sb.toString());
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(csv))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("8 missing files")
                .hasMessageContaining("gone0.png, gone1.png, gone2.png, gone3.png, gone4.png (and 3 more)")
                .hasMessageNotContaining("gone5.png");
    }

    @Test
    void unparseableRowsNameTheirLine() {
        img("a.png");
        Path oneColumn = TestImages.text(dir.resolve("c1.csv"), "fname,labels\na.png,x\n\na.png\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(oneColumn))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 4");
        Path notNumber = TestImages.text(dir.resolve("c2.csv"), "a.png,1\na.png,abc\n");
        assertThatThrownBy(() -> ImageDataset.fromRegressionCsv(notNumber))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 2").hasMessageContaining("'abc'");
        Path nan = TestImages.text(dir.resolve("c3.csv"), "a.png,NaN\n");
        assertThatThrownBy(() -> ImageDataset.fromRegressionCsv(nan))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 1");
        Path quote = TestImages.text(dir.resolve("c4.csv"), "a.png,x\n\"a.png,x\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(quote))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 2").hasMessageContaining("quote");
        Path badValid = TestImages.text(dir.resolve("c5.csv"), "fname,labels,is_valid\na.png,x,maybe\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(badValid))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 2").hasMessageContaining("is_valid");
        Path emptyName = TestImages.text(dir.resolve("c6.csv"), "a.png,x\n ,y\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(emptyName))
                .isInstanceOf(GraftException.class).hasMessageContaining("line 2");
    }

    @Test
    void emptyOrMissingCsvAndDegenerateContents() {
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(dir.resolve("none.csv")))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("CSV file not found");
        Path empty = TestImages.text(dir.resolve("e.csv"), "\n\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(empty))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("CSV file is empty");
        Path headerOnly = TestImages.text(dir.resolve("h.csv"), "fname,labels\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(headerOnly))
                .isInstanceOf(GraftException.class).hasMessageContaining("header but no rows");
        img("a.png");
        Path allValid = TestImages.text(dir.resolve("v.csv"), "fname,labels,is_valid\na.png,x,1\n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(allValid))
                .isInstanceOf(GraftException.class).hasMessageContaining("nothing is left to train on");
        Path oneClass = TestImages.text(dir.resolve("o.csv"), "a.png,cat\n");
        assertThatThrownBy(() -> ImageDataset.fromCsv(oneClass, Task.SINGLE_LABEL, null, 0.2, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("only one class");
        Path noLabels = TestImages.text(dir.resolve("n.csv"), "a.png, \n");
        assertThatThrownBy(() -> ImageDataset.fromMultiLabelCsv(noLabels))
                .isInstanceOf(GraftException.class).hasMessageContaining("no labels");
    }

    @Test
    void splitsQuotedCells() {
        assertThat(CsvSource.split(dir, "\"a,b.png\",\"x \"\"y\"\"\",z", 1)).containsExactly("a,b.png", "x \"y\"", "z");
        assertThat(CsvSource.split(dir, "a,,", 1)).containsExactly("a", "", "");
    }
}
