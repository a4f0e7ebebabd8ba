package dev.graft.models.weights;

import dev.graft.models.GraftException;
import dev.graft.models.arch.Architectures;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Matches a file's tensors to a network's parameters by name, strictly.
 *
 * <p>Keys may be Graft's (torchvision's) names, fastai's state-dict keys, or for ConvNeXt timm's names, bare or as a
 * fastai learner over a timm model holds them (see {@link Naming}); {@code num_batches_tracked} is tolerated and
 * dropped. Anything missing, unexpected or of the wrong shape is listed in one error, so a user sees every problem
 * at once rather than one per run. Float tensors come back as F32 (an F32 file's tensors are views of its bytes).
 */
public final class WeightLoader {
    private static final int SHOWN = 6;

    private WeightLoader() {
    }

    /** The result: tensors by Graft name, and what was ignored on the way. */
    public record Loaded(Map<String, Tensor> tensors, Naming naming, List<String> ignored, boolean firstConvAdapted) {
    }

    public static Loaded load(Network network, Map<String, Tensor> file, LoadMode mode) {
        Naming naming = WeightNames.detect(file.keySet());
        boolean timm = naming == Naming.TIMM || naming == Naming.FASTAI_TIMM;
        if (timm && !network.arch().startsWith("convnext")) {
            throw new GraftException("weights have timm's names (" + file.keySet().iterator().next() + ", ...), which"
                + " Graft maps only for ConvNeXt, not " + network.arch() + "; save the torchvision model's state_dict,"
                + " or use --arch convnext_tiny / convnext_small for a timm ConvNeXt");
        }
        WeightNames names = new WeightNames(network);
        Map<String, Param> wanted = new LinkedHashMap<>();
        List<Node> scope = mode == LoadMode.ALL ? network.nodes() : network.bodyNodes();
        for (Node n : scope) {
            for (Param p : n.layer().params()) {
                wanted.put(n.paramName(p), p);
            }
        }
        Set<String> cutAway = cutAwayChildren(network);
        Optional<Node> firstConv = FirstConv.of(network);
        String firstConvWeight = firstConv.map(n -> n.id() + ".weight").orElse(null);

        Map<String, Tensor> out = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        Set<String> present = new java.util.HashSet<>();
        boolean adapted = false;
        for (Map.Entry<String, Tensor> e : file.entrySet()) {
            String key = e.getKey();
            if (key.endsWith("num_batches_tracked")) {
                continue;
            }
            Optional<String> graft = names.toGraft(key, naming);
            if (graft.isEmpty() || !wanted.containsKey(graft.get())) {
                boolean cut = graft.isPresent() && cutAway.contains(topLevel(graft.get()));
                boolean head = graft.isPresent() && isHead(graft.get(), network);
                // a fastai learner over a timm model keeps timm's whole model in its body, head.norm included, but runs
                // only its forward_features: what the cut leaves unused is ignored in either mode
                if ((mode == LoadMode.BODY && (head || cut)) || (naming == Naming.FASTAI_TIMM && cut)) {
                    ignored.add(key);
                } else {
                    unexpected.add(key);
                }
                continue;
            }
            String name = graft.get();
            present.add(name);
            Param p = wanted.get(name);
            Tensor t = e.getValue();
            long[] expected = p.shapeArray();
            if (!Arrays.equals(t.shape(), expected) && timm) {
                t = TimmNames.reshape(t, expected).orElse(t);
            }
            if (!Arrays.equals(t.shape(), expected)) {
                if (name.equals(firstConvWeight) && network.inputChannels() != 3 && t.shape().length == 4
                    && t.shape()[1] == 3 && t.shape()[0] == expected[0]) {
                    t = FirstConv.adapt(t, network.inputChannels());
                    adapted = true;
                } else {
                    wrongShape.add(key + " (file " + Arrays.toString(t.shape()) + ", network " + Arrays.toString(expected) + ")");
                    continue;
                }
            }
            if (!isFloat(t.dtype())) {
                wrongShape.add(key + " (dtype " + t.dtype() + ", expected a float type)");
                continue;
            }
            out.put(name, t.dtype() == DType.F32 ? t : t.toF32());
        }
        if (adapted && firstConv.isPresent() && out.remove(firstConv.get().id() + ".bias") != null) {
            // fastai's _update_first_layer builds a new nn.Conv2d and adapts only the pretrained weight: the new
            // convolution's bias keeps its fresh initialisation (see Initializer).
            ignored.add(firstConv.get().id() + ".bias");
        }
        List<String> missing = new ArrayList<>();
        for (String w : wanted.keySet()) {
            if (!present.contains(w)) {
                missing.add(names.toFile(w, naming));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) {
                parts.add(missing.size() + " missing (" + shortList(missing) + ")");
            }
            if (!unexpected.isEmpty()) {
                parts.add(unexpected.size() + " unexpected (" + shortList(unexpected) + ")");
            }
            if (!wrongShape.isEmpty()) {
                parts.add(wrongShape.size() + " of the wrong shape (" + shortList(wrongShape) + ")");
            }
            throw new GraftException("weights (" + naming.name().toLowerCase(java.util.Locale.ROOT) + " names) do not fit "
                + network.arch() + (mode == LoadMode.BODY ? " body" : " + head") + ": " + String.join("; ", parts));
        }
        return new Loaded(out, naming, ignored, adapted);
    }

    /** Top-level children the cut removed from the architecture (fc, avgpool): a pretrained file may still hold them. */
    private static Set<String> cutAwayChildren(Network network) {
        Set<String> names = new java.util.HashSet<>();
        if (Architectures.names().contains(network.arch())) {
            Architectures.get(network.arch()).children(3, 1000).forEach(c -> names.add(c.name()));
        }
        names.removeAll(network.bodyChildren());
        return names;
    }

    private static String topLevel(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    private static boolean isHead(String name, Network network) {
        return network.headNodes().stream().anyMatch(n -> name.startsWith(n.id() + "."));
    }

    private static boolean isFloat(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16 || d == DType.F64;
    }

    private static String shortList(List<String> items) {
        if (items.size() <= SHOWN) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, SHOWN)) + ", ... " + (items.size() - SHOWN) + " more";
    }
}
