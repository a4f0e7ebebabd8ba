package dev.graft.models.weights;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * timm's ConvNeXt parameter names and torchvision's, one table read in both directions.
 *
 * <p>fastai users mostly take ConvNeXt from timm ({@code vision_learner(dls, 'convnext_tiny')}), whose module tree
 * differs from torchvision's only in names: {@code stem} is {@code features.0}, stage {@code S} is
 * {@code features.(2S+1)} with its blocks under {@code blocks}, the downsampling before stage {@code S >= 1} is
 * {@code stages.S.downsample} rather than {@code features.(2S)}, a block's layers are called {@code conv_dw},
 * {@code norm}, {@code mlp.fc1}, {@code mlp.fc2} rather than {@code block.0, 2, 3, 5}, its layer scale is {@code gamma}
 * rather than {@code layer_scale}, and the classifier's norm and linear layer are {@code head.norm} and
 * {@code head.fc}. The names have been the same since timm added ConvNeXt (0.5.x) and hold for {@code conv_mlp}
 * models too. Two shapes differ: {@code gamma} is [C] where torchvision holds [C, 1, 1], and {@code conv_mlp} models
 * hold the MLP as 1x1 convolutions, [out, in, 1, 1] where torchvision's {@code nn.Linear} holds [out, in]; both are the
 * same values in the same order, so {@link #reshape} only relabels the shape.
 *
 * <p>Every row maps both ways, so the loader's error messages can name a missing parameter as the file would.
 * timm's {@code norm_pre} (the {@code head_norm_first} models) and ConvNeXt-V2's {@code mlp.grn} have no row: such a
 * file holds layers torchvision's ConvNeXt does not have, and is refused as unexpected keys.
 */
final class TimmNames {
    /**
     * timm name, torchvision name. {@code {s}} is a stage and {@code {b}} a block index; {@code {2s}} and
     * {@code {2s+1}} are torchvision's {@code features} index for stage {@code s}'s downsampling ({@code s >= 1}) and
     * blocks; {@code {p}} is the parameter ({@code weight} or {@code bias}).
     */
    private static final List<String[]> TABLE = List.of(
        new String[] {"stem.0.{p}", "features.0.0.{p}"},
        new String[] {"stem.1.{p}", "features.0.1.{p}"},
        new String[] {"stages.{s}.downsample.0.{p}", "features.{2s}.0.{p}"},
        new String[] {"stages.{s}.downsample.1.{p}", "features.{2s}.1.{p}"},
        new String[] {"stages.{s}.blocks.{b}.conv_dw.{p}", "features.{2s+1}.{b}.block.0.{p}"},
        new String[] {"stages.{s}.blocks.{b}.norm.{p}", "features.{2s+1}.{b}.block.2.{p}"},
        new String[] {"stages.{s}.blocks.{b}.mlp.fc1.{p}", "features.{2s+1}.{b}.block.3.{p}"},
        new String[] {"stages.{s}.blocks.{b}.mlp.fc2.{p}", "features.{2s+1}.{b}.block.5.{p}"},
        new String[] {"stages.{s}.blocks.{b}.gamma", "features.{2s+1}.{b}.layer_scale"},
        new String[] {"head.norm.{p}", "classifier.0.{p}"},
        new String[] {"head.fc.{p}", "classifier.2.{p}"});

    /** Parameters a table row may end in. */
    private static final List<String> PARAMS = List.of("weight", "bias");

    /** fastai's {@code TimmBody} keeps the timm model as its attribute {@code model}: body keys read {@code 0.model.}. */
    static final String FASTAI_BODY = "0.model.";

    private TimmNames() {
    }

    /** True when {@code key} starts with one of timm's ConvNeXt top-level modules that torchvision does not have. */
    static boolean looksTimm(String key) {
        return key.startsWith("stem.") || key.startsWith("stages.");
    }

    /** torchvision's name for a timm key, or empty when the table has no row for it. */
    static Optional<String> toTorchvision(String timmKey) {
        return translate(timmKey, 0, 1);
    }

    /** timm's name for a torchvision name, or empty when the table has no row for it. */
    static Optional<String> toTimm(String torchvisionName) {
        return translate(torchvisionName, 1, 0);
    }

    private static Optional<String> translate(String name, int from, int to) {
        for (String[] row : TABLE) {
            Map<String, String> vars = match(row[from], name);
            if (vars != null) {
                String out = fill(row[to], vars);
                // each name has one meaning: a name that only one direction accepts (stages.0.downsample, which
                // would land on the stem's features.0) maps to nothing
                Map<String, String> back = match(row[to], out);
                if (back != null && fill(row[from], back).equals(name)) {
                    return Optional.of(out);
                }
            }
        }
        return Optional.empty();
    }

    /** The variables of {@code template} that make it spell {@code name}, or null when it cannot. */
    private static Map<String, String> match(String template, String name) {
        String[] t = template.split("\\.");
        String[] n = name.split("\\.", -1);
        if (t.length != n.length) {
            return null;
        }
        Map<String, String> vars = new HashMap<>();
        for (int i = 0; i < t.length; i++) {
            String token = t[i];
            String part = n[i];
            switch (token) {
                case "{p}" -> {
                    if (!PARAMS.contains(part)) {
                        return null;
                    }
                    vars.put("p", part);
                }
                case "{s}", "{b}" -> {
                    Integer v = index(part);
                    if (v == null) {
                        return null;
                    }
                    vars.put(token.substring(1, 2), Integer.toString(v));
                }
                case "{2s}" -> {
                    Integer v = index(part);
                    if (v == null || v < 2 || v % 2 != 0) {
                        return null;
                    }
                    vars.put("s", Integer.toString(v / 2));
                }
                case "{2s+1}" -> {
                    Integer v = index(part);
                    if (v == null || v % 2 != 1) {
                        return null;
                    }
                    vars.put("s", Integer.toString((v - 1) / 2));
                }
                default -> {
                    if (!token.equals(part)) {
                        return null;
                    }
                }
            }
        }
        return vars;
    }

    private static String fill(String template, Map<String, String> vars) {
        StringBuilder out = new StringBuilder();
        for (String token : template.split("\\.")) {
            if (!out.isEmpty()) {
                out.append('.');
            }
            switch (token) {
                case "{p}" -> out.append(vars.get("p"));
                case "{s}" -> out.append(vars.get("s"));
                case "{b}" -> out.append(vars.get("b"));
                case "{2s}" -> out.append(2 * Integer.parseInt(vars.get("s")));
                case "{2s+1}" -> out.append(2 * Integer.parseInt(vars.get("s")) + 1);
                default -> out.append(token);
            }
        }
        return out.toString();
    }

    /** A plain decimal index without a sign or leading zeros (as PyTorch writes module indices), or null. */
    private static Integer index(String part) {
        if (part.isEmpty() || part.length() > 6 || !part.chars().allMatch(Character::isDigit)
            || (part.length() > 1 && part.charAt(0) == '0')) {
            return null;
        }
        return Integer.parseInt(part);
    }

    /**
     * {@code t} under torchvision's shape when timm holds the same values under another: {@code gamma} [C] for
     * [C, 1, 1], a {@code conv_mlp} 1x1 convolution [out, in, 1, 1] for [out, in]. Only trailing sizes of 1 may differ,
     * which never moves a value; anything else is empty (a wrong shape, reported as such).
     */
    static Optional<Tensor> reshape(Tensor t, long[] expected) {
        if (!Arrays.equals(withoutTrailingOnes(t.shape()), withoutTrailingOnes(expected))) {
            return Optional.empty();
        }
        return Optional.of(Tensor.wrap(t.dtype(), expected, t.data()));
    }

    private static long[] withoutTrailingOnes(long[] shape) {
        int n = shape.length;
        while (n > 1 && shape[n - 1] == 1) {
            n--;
        }
        return Arrays.copyOf(shape, n);
    }
}
