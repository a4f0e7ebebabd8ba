package dev.graft.models.weights.torch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the model's tensors in what a pickle built: a state dict (possibly wrapped, possibly prefixed), a pickled
 * {@code nn.Module} tree, or a fastai Learner from {@code learn.export()}; and refuses everything else in one line.
 */
final class Contents {
    /** How a state-dict wrapper names its state dict, in the order they are tried. */
    static final List<String> WRAPPERS = List.of("state_dict", "model_state_dict", "model");
    /** Prefixes that wrap every key: DataParallel/DDP's and torch.compile's. */
    static final List<String> PREFIXES = List.of("module.", "_orig_mod.");
    /**
     * Globals tolerated in the unused optimiser half of fastai's {@code learn.save} file: fastai's optimiser state
     * holds its hyper-parameters in a fastcore {@code L} and numpy scalars. They stay inert placeholders.
     */
    static final Set<String> OPTIMISER_GLOBALS = Set.of("fastcore.foundation.L", "numpy.core.multiarray.scalar",
            "numpy.core.multiarray._reconstruct", "numpy._core.multiarray.scalar", "numpy._core.multiarray._reconstruct",
            "numpy.dtype", "numpy.ndarray");
    static final int MAX_MODULE_DEPTH = 100;
    static final int MAX_VISITS = 2_000_000;
    /**
     * Modules and tensors a module tree may list, counting a module shared by several parents once per path, as
     * {@code state_dict()} does: far beyond any real model, and small enough that a file sharing one module along a long
     * chain (2^depth paths) is refused quickly.
     */
    static final int MAX_MODULE_ENTRIES = 500_000;
    /** Longer than any tensor name a model has; bounds the names a deep module tree can make out of long keys. */
    static final int MAX_NAME_LENGTH = 1_024;

    static final String SAVE_A_STATE_DICT = "save a state dict instead: learn.save('name') in fastai, or"
            + " torch.save(model.state_dict(), 'weights.pth')";

    /** The tensors by name, in file order, and what was learnt about the file on the way. */
    record Found(LinkedHashMap<String, Py.TensorRef> tensors, Map<String, String> metadata) {
    }

    private Contents() {
    }

    static Found find(String source, Object root, Set<String> foreign) {
        Map<String, String> metadata = new LinkedHashMap<>();
        LinkedHashMap<String, Py.TensorRef> tensors;
        if (root instanceof Py.Placeholder p && isModule(p)) {
            metadata.put("source.content", "module");
            metadata.put("source.class", p.type.toString());
            tensors = moduleTree(source, p);
        } else if (root instanceof Py.Placeholder p && p.state.get("model") instanceof Py.Placeholder model
                && isModule(model)) {
            metadata.put("source.content", "fastai-export");
            metadata.put("source.class", model.type.toString());
            tensors = moduleTree(source, model);
            FastaiExport.describe(source, p, metadata);
        } else if (root instanceof Py.Dict dict) {
            Object inner = dict;
            if (!allTensors(dict)) {
                inner = null;
                for (String key : WRAPPERS) {
                    Object value = dict.items.get(key);
                    if (value instanceof Py.Dict || value instanceof Py.Placeholder) {
                        metadata.put("source.wrapper", key);
                        inner = value;
                        break;
                    }
                }
                if (inner == null) {
                    checkStateDictGlobals(source, foreign, dict, false);
                    throw PickleMachine.fail(source, "it holds a dict with keys " + keys(dict)
                            + " but no state dict under " + String.join(", ", WRAPPERS) + "; " + SAVE_A_STATE_DICT);
                }
            }
            if (inner instanceof Py.Placeholder p) {
                if (!isModule(p)) {
                    throw notAModel(source, p);
                }
                metadata.put("source.content", "module");
                metadata.put("source.class", p.type.toString());
                tensors = moduleTree(source, p);
            } else {
                Py.Dict stateDict = (Py.Dict) inner;
                checkStateDictGlobals(source, foreign, dict, metadata.containsKey("source.wrapper"));
                metadata.put("source.content", "state-dict");
                tensors = stateDict(source, stateDict);
            }
        } else if (root instanceof Py.Placeholder p) {
            throw notAModel(source, p);
        } else {
            throw PickleMachine.fail(source, "it holds " + Py.describe(root) + ", not a state dict or a model; "
                    + SAVE_A_STATE_DICT);
        }
        String stripped = stripPrefixes(source, tensors);
        if (!stripped.isEmpty()) {
            metadata.put("source.prefix", stripped);
        }
        return new Found(stripPrefix(tensors, stripped), metadata);
    }

    private static void checkStateDictGlobals(String source, Set<String> foreign, Py.Dict top, boolean wrapped) {
        if (foreign.isEmpty()) {
            return;
        }
        boolean learnSave = wrapped && top.items.size() == 2 && top.items.containsKey("model")
                && top.items.containsKey("opt");
        for (String global : foreign) {
            if (!(learnSave && OPTIMISER_GLOBALS.contains(global))) {
                throw PickleMachine.fail(source, "it names " + global + ", which a state dict never needs:"
                        + " refused (nothing was run)");
            }
        }
    }

    private static dev.graft.models.GraftException notAModel(String source, Py.Placeholder p) {
        return PickleMachine.fail(source, "it holds a pickled " + p.type + ", not a model's tensors (nothing was run);"
                + " " + SAVE_A_STATE_DICT);
    }

    private static boolean allTensors(Py.Dict dict) {
        if (dict.items.isEmpty()) {
            return false;
        }
        for (Map.Entry<Object, Object> e : dict.items.entrySet()) {
            if (!(e.getKey() instanceof String) || !(e.getValue() instanceof Py.TensorRef)) {
                return false;
            }
        }
        return true;
    }

    private static LinkedHashMap<String, Py.TensorRef> stateDict(String source, Py.Dict dict) {
        LinkedHashMap<String, Py.TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : dict.items.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw PickleMachine.fail(source, "its state dict has a key that is " + Py.describe(e.getKey())
                        + ", not a name");
            }
            if (!(e.getValue() instanceof Py.TensorRef t)) {
                throw PickleMachine.fail(source, "its state dict entry '" + name + "' is " + Py.describe(e.getValue())
                        + ", not a tensor");
            }
            checkName(source, name.length());
            out.put(name, t);
        }
        if (out.isEmpty()) {
            throw PickleMachine.fail(source, "its state dict is empty");
        }
        return out;
    }

    static boolean isModule(Py.Placeholder p) {
        return p.state.get("_parameters") instanceof Py.Dict && p.state.get("_buffers") instanceof Py.Dict
                && p.state.get("_modules") instanceof Py.Dict;
    }

    /**
     * The state dict PyTorch's {@code module.state_dict()} would give: each module's parameters, then its persistent
     * buffers, then its children's, depth first; None entries skipped.
     */
    private static LinkedHashMap<String, Py.TensorRef> moduleTree(String source, Py.Placeholder root) {
        LinkedHashMap<String, Py.TensorRef> out = new LinkedHashMap<>();
        Set<Object> open = Collections.newSetFromMap(new IdentityHashMap<>());
        int[] visits = {0};
        walk(source, root, "", 0, out, open, visits);
        if (out.isEmpty()) {
            throw PickleMachine.fail(source, "its pickled " + root.type + " holds no tensors");
        }
        return out;
    }

    private static void walk(String source, Py.Placeholder module, String prefix, int depth,
            LinkedHashMap<String, Py.TensorRef> out, Set<Object> open, int[] visits) {
        if (depth > MAX_MODULE_DEPTH) {
            throw PickleMachine.fail(source, "its modules nest deeper than " + MAX_MODULE_DEPTH + " levels");
        }
        if (!open.add(module)) {
            throw PickleMachine.fail(source, "module " + (prefix.isEmpty() ? "(root)" : prefix) + " contains itself");
        }
        Set<Object> nonPersistent = Collections.emptySet();
        if (module.state.get("_non_persistent_buffers_set") instanceof Py.PySet set) {
            nonPersistent = new java.util.HashSet<>();
            for (Object item : set.items) {
                if (item instanceof String name) { // only names can match; nothing else is hashed
                    nonPersistent.add(name);
                }
            }
        }
        countVisit(source, visits);
        for (String kind : List.of("_parameters", "_buffers")) {
            for (Map.Entry<Object, Object> e : ((Py.Dict) module.state.get(kind)).items.entrySet()) {
                countVisit(source, visits);
                if (!(e.getKey() instanceof String name)) {
                    throw PickleMachine.fail(source, "a module's " + kind + " has a key that is not a name");
                }
                Object value = e.getValue();
                if (value == null || (kind.equals("_buffers") && nonPersistent.contains(name))) {
                    continue;
                }
                if (!(value instanceof Py.TensorRef t)) {
                    throw PickleMachine.fail(source, "module " + module.type + " holds " + Py.describe(value)
                            + " as " + prefix + name + " instead of a tensor; " + SAVE_A_STATE_DICT);
                }
                checkName(source, prefix.length() + name.length());
                if (out.put(prefix + name, t) != null) {
                    throw PickleMachine.fail(source, "the tensor name '" + prefix + name + "' appears twice in its"
                            + " module tree");
                }
            }
        }
        for (Map.Entry<Object, Object> e : ((Py.Dict) module.state.get("_modules")).items.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw PickleMachine.fail(source, "a module's _modules has a key that is not a name");
            }
            Object child = e.getValue();
            if (child == null) {
                continue;
            }
            if (!(child instanceof Py.Placeholder c) || !isModule(c)) {
                throw PickleMachine.fail(source, "module " + module.type + " holds " + Py.describe(child) + " as "
                        + prefix + name + " instead of a module; " + SAVE_A_STATE_DICT);
            }
            checkName(source, prefix.length() + name.length() + 1);
            walk(source, c, prefix + name + ".", depth + 1, out, open, visits);
        }
        open.remove(module);
    }

    private static void countVisit(String source, int[] visits) {
        if (++visits[0] > MAX_MODULE_ENTRIES) {
            throw PickleMachine.fail(source, "its module tree lists more than " + MAX_MODULE_ENTRIES
                    + " modules and tensors (a module shared along a long chain?)");
        }
    }

    private static void checkName(String source, long length) {
        if (length > MAX_NAME_LENGTH) {
            throw PickleMachine.fail(source, "it has a tensor name of more than " + MAX_NAME_LENGTH + " characters ("
                    + length + "), which no model has");
        }
    }

    /** The prefix every key shares among {@link #PREFIXES} (repeatedly: {@code _orig_mod.module.}), or "". */
    private static String stripPrefixes(String source, Map<String, Py.TensorRef> tensors) {
        StringBuilder stripped = new StringBuilder();
        boolean again = true;
        while (again) {
            again = false;
            for (String prefix : PREFIXES) {
                String full = stripped + prefix;
                if (tensors.keySet().stream().allMatch(k -> k.startsWith(full) && k.length() > full.length())) {
                    stripped.append(prefix);
                    again = true;
                }
            }
        }
        return stripped.toString();
    }

    private static LinkedHashMap<String, Py.TensorRef> stripPrefix(LinkedHashMap<String, Py.TensorRef> tensors,
            String prefix) {
        if (prefix.isEmpty()) {
            return tensors;
        }
        LinkedHashMap<String, Py.TensorRef> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k.substring(prefix.length()), v));
        return out;
    }

    private static String keys(Py.Dict dict) {
        List<String> names = new ArrayList<>();
        for (Object key : dict.items.keySet()) {
            if (names.size() == 8) {
                names.add("...");
                break;
            }
            names.add(key instanceof String s ? "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'"
                    : Py.describe(key));
        }
        return "[" + String.join(", ", names) + "]";
    }

    /** Breadth-first over the values reachable from {@code root}, each visited once, at most {@link #MAX_VISITS}. */
    static List<Object> reachable(Object root) {
        List<Object> seen = new ArrayList<>();
        Set<Object> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object> queue = new ArrayDeque<>();
        queue.add(root);
        visited.add(root);
        while (!queue.isEmpty() && seen.size() < MAX_VISITS) {
            Object value = queue.poll();
            seen.add(value);
            List<Object> children = new ArrayList<>();
            if (value instanceof Py.Placeholder p) {
                children.addAll(p.state.values());
                children.addAll(p.listItems);
                children.addAll(p.dictItems.values());
                if (p.args != null) {
                    children.addAll(java.util.Arrays.asList(p.args.items));
                }
                if (p.otherState != null) {
                    children.add(p.otherState);
                }
            } else if (value instanceof Py.Dict d) {
                children.addAll(d.items.values());
            } else if (value instanceof List<?> l) {
                children.addAll(l);
            } else if (value instanceof Py.Tuple t) {
                children.addAll(java.util.Arrays.asList(t.items));
            } else if (value instanceof Py.PySet s) {
                children.addAll(s.items);
            }
            for (Object child : children) {
                if (child != null && visited.add(child)) {
                    queue.add(child);
                }
            }
        }
        return seen;
    }
}
