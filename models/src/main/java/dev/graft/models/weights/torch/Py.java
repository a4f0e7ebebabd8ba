package dev.graft.models.weights.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values the pickle machine builds. Python's {@code None} is Java's null, {@code int} a {@link Long} (or a
 * {@link java.math.BigInteger} beyond 64 bits), {@code float} a {@link Double}, {@code bool} a {@link Boolean},
 * {@code str} a {@link String} and {@code list} an {@link ArrayList}; the rest are the classes here. None of them can
 * do anything: they only hold what the file said.
 */
final class Py {
    private Py() {
    }

    /**
     * A per-run secret mixed into the hashes of tuples and globals, the dict keys that are not {@link Comparable}: a
     * {@code HashMap} keeps colliding comparable keys (strings, numbers) in a tree, but colliding tuples in a list, so a
     * file of keys built to share one {@code String.hashCode} ("Aa" and "BB") would make every insertion scan them all.
     */
    private static final long SEED = new java.security.SecureRandom().nextLong() | 1;

    /** A hash of {@code text} that a file cannot aim at a collision without knowing {@link #SEED}. */
    static int keyedHash(String text) {
        long h = SEED;
        for (int i = 0; i < text.length(); i++) {
            h = (h ^ text.charAt(i)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
        }
        return mix(h ^ text.length());
    }

    static int keyedHash(long value) {
        return mix((value ^ SEED) * 0xBF58476D1CE4E5B9L);
    }

    private static int mix(long h) {
        h = (h ^ (h >>> 31)) * 0x94D049BB133111EBL;
        h ^= h >>> 32;
        return (int) h;
    }

    /** A reference to {@code module.name}, never resolved to anything in the JVM; only compared by name. */
    static final class Global {
        private final String module;
        private final String name;
        private final String full;
        private int hash;
        private boolean hashed;

        Global(String module, String name) {
            this.module = module;
            this.name = name;
            this.full = module + "." + name;
        }

        String module() {
            return module;
        }

        String name() {
            return name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Global g && full.equals(g.full);
        }

        /** Keyed: a global can be a dict key, and is not comparable. */
        @Override
        public int hashCode() {
            if (!hashed) {
                hash = keyedHash(full);
                hashed = true;
            }
            return hash;
        }

        /** {@code module.name}. */
        @Override
        public String toString() {
            return full;
        }
    }

    /**
     * An immutable tuple. Its hash is computed once, from its items' own cached or shallow hashes: lists, dicts and
     * objects count by identity, so hashing never walks into a container (a hostile pickle can make those shared
     * exponentially or nested without bound). Value equality therefore only holds for tuples of simple values and
     * tuples, which is all a dict key in a checkpoint ever is.
     */
    static final class Tuple {
        final Object[] items;
        final int depth;
        /** The longest string among its items and its nested tuples' items: hashing a key reads each once. */
        final int longestText;
        /** Computed when first asked for: almost no tuple is ever a dict key. */
        private int hash;
        private boolean hashed;

        Tuple(Object[] items) {
            this.items = items;
            int d = 0;
            int text = 0;
            for (Object item : items) {
                if (item instanceof Tuple t) {
                    d = Math.max(d, t.depth);
                    text = Math.max(text, t.longestText);
                } else if (item instanceof String s) {
                    text = Math.max(text, s.length());
                }
            }
            this.depth = d + 1;
            this.longestText = text;
        }

        private static int shallowHash(Object item) {
            if (item == null) {
                return 0;
            }
            if (item instanceof String s) {
                return keyedHash(s);
            }
            if (item instanceof Long l) {
                return keyedHash(l);
            }
            if (item instanceof Double d) {
                return keyedHash(Double.doubleToLongBits(d));
            }
            if (item instanceof java.math.BigInteger b) {
                return keyedHash(b.toString(16));
            }
            if (isValue(item)) {
                return item.hashCode(); // tuples (keyed themselves), globals (keyed), booleans
            }
            return System.identityHashCode(item);
        }

        private static boolean isValue(Object item) {
            return item instanceof Tuple || item instanceof String || item instanceof Long || item instanceof Double
                    || item instanceof Boolean || item instanceof java.math.BigInteger || item instanceof Global;
        }

        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            if (!(o instanceof Tuple t) || hashCode() != t.hashCode() || items.length != t.items.length) {
                return false;
            }
            for (int i = 0; i < items.length; i++) {
                Object a = items[i];
                Object b = t.items[i];
                boolean same = a == b || (a != null && isValue(a) && a.equals(b));
                if (!same) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            if (!hashed) {
                int h = 1;
                for (Object item : items) {
                    h = (int) ((h ^ shallowHash(item)) * 0x9E3779B97F4A7C15L >>> 32); // a nested tuple's hash is cached
                }
                hash = h;
                hashed = true;
            }
            return hash;
        }

        @Override
        public String toString() {
            return "tuple of " + items.length;
        }
    }

    /** A dict, or an {@code OrderedDict}: insertion order is kept, as Python keeps it. */
    static final class Dict {
        final LinkedHashMap<Object, Object> items = new LinkedHashMap<>();
        /** Instance attributes set by BUILD (an OrderedDict's {@code _metadata}); never needed, kept for completeness. */
        Object attributes;

        @Override
        public String toString() {
            return "dict of " + items.size();
        }
    }

    /** A set or frozenset, as the items it was built from. */
    static final class PySet {
        final List<Object> items = new ArrayList<>();
    }

    /** A bytes or bytearray value. */
    record Bytes(byte[] value) {
    }

    /**
     * An inert stand-in for an instance of a class Graft does not implement, or for the result of calling a function
     * it does not implement: it records the class or function by name, the arguments it would have been called with and
     * the state BUILD would have given it. Nothing is ever called.
     */
    static final class Placeholder {
        final Global type;
        final Tuple args;
        /** Whether the file asked for a call ({@code REDUCE}) rather than a bare instance ({@code NEWOBJ}). */
        final boolean called;
        /** The instance's {@code __dict__}, merged from every BUILD; keys are attribute names. */
        final Map<Object, Object> state = new LinkedHashMap<>();
        /** Anything else BUILD gave it (a non-dict state). */
        Object otherState;
        /** Items appended or set on it, when it stands for a list or dict subclass. */
        final List<Object> listItems = new ArrayList<>();
        final Map<Object, Object> dictItems = new LinkedHashMap<>();

        Placeholder(Global type, Tuple args, boolean called) {
            this.type = type;
            this.args = args;
            this.called = called;
        }

        @Override
        public String toString() {
            return type + (called ? "(...)" : " object");
        }
    }

    /** A typed storage named by a persistent id; its bytes are bound once they are located. */
    static final class Storage {
        final String key;
        final ScalarType type;
        final long numel;
        java.nio.ByteBuffer data;

        Storage(String key, ScalarType type, long numel) {
            this.key = key;
            this.type = type;
            this.numel = numel;
        }
    }

    /** A tensor as {@code _rebuild_tensor_v2} describes it, already checked against its storage's size. */
    record TensorRef(Storage storage, long offset, long[] size, long[] stride) {
        @Override
        public String toString() {
            return "tensor " + Arrays.toString(size);
        }
    }

    /** A short description of a value for a one-line message, never its contents. */
    static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof String) {
            return "a str";
        }
        if (value instanceof Long || value instanceof java.math.BigInteger) {
            return "an int";
        }
        if (value instanceof Double) {
            return "a float";
        }
        if (value instanceof Boolean) {
            return "a bool";
        }
        if (value instanceof List<?> l) {
            return "a list of " + l.size();
        }
        if (value instanceof Dict d) {
            return "a dict of " + d.items.size();
        }
        if (value instanceof Tuple t) {
            return "a tuple of " + t.size();
        }
        if (value instanceof Placeholder p) {
            return "a " + p;
        }
        if (value instanceof TensorRef t) {
            return "a " + t;
        }
        if (value instanceof Global g) {
            return g.toString();
        }
        return "a " + value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
