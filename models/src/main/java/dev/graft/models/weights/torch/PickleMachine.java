package dev.graft.models.weights.torch;

import dev.graft.models.GraftException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A pickle reader for protocols 2 to 5 that implements only the opcodes {@code torch.save} files use, and never calls,
 * imports or constructs anything the file names.
 *
 * <p>Written here rather than taken from a library because the safety of reading a checkpoint rests on exactly this
 * code: general unpicklers resolve globals to constructors (Pyrolite keeps a JVM-global registry of them, drops an
 * {@code OrderedDict}'s items unless told otherwise, and loses key order in SETITEMS), whereas here a global is only a
 * name. The handful a state dict needs ({@code OrderedDict}, the storage types, {@code _rebuild_tensor_v2} and
 * friends, {@code torch.Size}, {@code set}) are implemented in Java below; any other global becomes a
 * {@link Py.Placeholder} that records its name and arguments, and is listed in {@link #foreignGlobals()} so the caller
 * can refuse the file by name. A few globals that no checkpoint ever names ({@code os.system}, {@code builtins.eval},
 * {@code subprocess.Popen}, ...) are refused on sight.
 *
 * <p>Resources are bounded whatever the input: the stack, the mark stack and the memo have fixed limits, every length
 * in the stream is checked against the bytes left before anything is allocated, and integers are limited in size.
 */
final class PickleMachine {
    static final int MAX_STACK = 1_000_000;
    static final int MAX_MARKS = 1_000;
    static final int MAX_MEMO = 1_000_000;
    static final int MAX_LONG_BYTES = 1_024;
    /** Longer than any Python module path or class name; bounds what joining them costs. */
    static final int MAX_GLOBAL_NAME = 1_000;
    /** Items any pickle may copy, whatever its size; a larger pickle may copy {@link #COPIES_PER_BYTE} per byte. */
    static final long MIN_COPY_ALLOWANCE = 1L << 20;
    static final long COPIES_PER_BYTE = 4;

    /** The globals a state dict may name; everything else is foreign. */
    private static final Set<String> ALLOWED = allowed();

    /** Module prefixes and globals refused outright: nothing a checkpoint holds ever refers to them. */
    private static final List<String> REFUSED_MODULES = List.of("os", "posix", "nt", "subprocess", "sys", "shutil",
            "socket", "importlib", "runpy", "ctypes", "pty", "pickle", "_pickle", "marshal", "code", "codeop",
            "multiprocessing", "webbrowser", "urllib", "http", "ftplib", "signal", "threading", "asyncio", "io",
            "tempfile", "glob", "commands", "popen2", "platform", "pdb", "timeit", "torch.hub", "torch.jit");
    private static final Set<String> REFUSED_BUILTINS = Set.of("eval", "exec", "execfile", "compile", "open",
            "__import__", "input", "raw_input", "breakpoint", "exit", "quit", "globals", "locals", "vars", "setattr",
            "delattr", "help", "memoryview", "file", "reload");

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "mark";
        }
    };

    private final String source;
    private final ByteBuffer in;
    private int pos;
    private final Function<Object, Object> persistentLoad;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    /** Memo entries at small indices (the usual case: pickle numbers them 0, 1, 2...), and the rest. */
    private Object[] memoArray = new Object[1024];
    private int memoArrayCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private static final Object ABSENT = new Object();
    private final Set<String> foreign = new LinkedHashSet<>();
    private int protocol;
    /**
     * Items that calls and BUILD may still copy out of values already built ({@code set(list)}, {@code OrderedDict(pairs)},
     * an object's state dict, {@code _codecs.encode(str)}). Each opcode adds at most a few items, but these copy a whole
     * shared value in a few bytes, so without a bound a small file could make the reader copy without end.
     */
    private long copyAllowance;

    /**
     * @param source the file, for messages
     * @param in the bytes; reading starts at its position and the machine stops after STOP
     * @param persistentLoad turns a persistent id into a value (storages), or throws GraftException
     */
    PickleMachine(String source, ByteBuffer in, Function<Object, Object> persistentLoad) {
        this.source = source;
        this.in = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.pos = in.position();
        this.persistentLoad = persistentLoad;
        this.copyAllowance = MIN_COPY_ALLOWANCE + COPIES_PER_BYTE * (in.limit() - in.position());
    }

    /** Globals the stream named that a state dict never needs, in order of first appearance. */
    Set<String> foreignGlobals() {
        return foreign;
    }

    /** The highest protocol the stream declared (0 when it declared none). */
    int protocol() {
        return protocol;
    }

    /** Where the next pickle would start, after {@link #load()}. */
    int position() {
        return pos;
    }

    /** Runs the stream up to and including STOP and returns the value it leaves. */
    Object load() {
        while (true) {
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    protocol = u8();
                    if (protocol > 5) {
                        throw fail("pickle protocol " + protocol + " is newer than Graft knows (2 to 5)");
                    }
                }
                case 0x95 -> need(8, "frame"); // FRAME: framing is only a hint for buffered readers
                case '.' -> { // STOP
                    Object value = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw fail("pickle stops with " + stack.size() + " values left on its stack");
                    }
                    return value;
                }
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 0x8a -> push(longBytes(u8()));
                case 0x8b -> {
                    int n = i32();
                    if (n < 0 || n > MAX_LONG_BYTES) {
                        throw fail("an integer of " + Integer.toUnsignedString(n) + " bytes is absurd");
                    }
                    push(longBytes(n));
                }
                case 'I' -> push(textInt(line()));
                case 'L' -> push(textInt(stripSuffix(line(), "L")));
                case 'G' -> {
                    long bits = in.order(ByteOrder.BIG_ENDIAN).getLong(need(8, "float"));
                    in.order(ByteOrder.LITTLE_ENDIAN);
                    push(Double.longBitsToDouble(bits));
                }
                case 'X' -> push(utf8(length32()));
                case 0x8c -> push(utf8(u8()));
                case 0x8d -> push(utf8(length64()));
                case 'T' -> push(latin1(length32())); // Python 2 str
                case 'U' -> push(latin1(u8()));
                case 'B' -> push(new Py.Bytes(bytes(length32())));
                case 'C' -> push(new Py.Bytes(bytes(u8())));
                case 0x8e, 0x96 -> push(new Py.Bytes(bytes(length64())));
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new Py.Dict());
                case ')' -> push(new Py.Tuple(new Object[0]));
                case 0x8f -> push(new Py.PySet());
                case '(' -> {
                    if (marks.size() >= MAX_MARKS) {
                        throw fail("nesting deeper than " + MAX_MARKS + " levels");
                    }
                    marks.add(stack.size());
                    push(MARK);
                }
                case 't' -> push(new Py.Tuple(popMark().toArray()));
                case 0x85 -> push(new Py.Tuple(new Object[] {pop()}));
                case 0x86 -> {
                    Object b = pop();
                    Object a = pop();
                    push(new Py.Tuple(new Object[] {a, b}));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(new Py.Tuple(new Object[] {a, b, c}));
                }
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'd' -> {
                    List<Object> items = popMark();
                    Py.Dict dict = new Py.Dict();
                    setItems(dict, items);
                    push(dict);
                }
                case 0x91 -> { // FROZENSET
                    Py.PySet set = new Py.PySet();
                    set.items.addAll(popMark());
                    push(set);
                }
                case 'a' -> {
                    Object item = pop();
                    append(peek(), List.of(wrapNull(item)));
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    append(peek(), items);
                }
                case 's' -> {
                    Object value = pop();
                    Object key = pop();
                    List<Object> kv = new ArrayList<>(2);
                    kv.add(key);
                    kv.add(value);
                    setItems(peek(), kv);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    setItems(peek(), items);
                }
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    if (!(peek() instanceof Py.PySet set)) {
                        throw fail("ADDITEMS on " + Py.describe(peek()));
                    }
                    set.items.addAll(items);
                }
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(Integer.toUnsignedLong(i32()));
                case 'p' -> memoPut(textIndex(line()));
                case 0x94 -> memoPut(memoArrayCount + memo.size());
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(Integer.toUnsignedLong(i32())));
                case 'g' -> push(memoGet(textIndex(line())));
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'c' -> {
                    String module = line();
                    String name = line();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL with a module or name that is not a string");
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(newObject(cls, args));
                }
                case 0x92 -> { // NEWOBJ_EX
                    pop(); // keyword arguments: recorded nowhere, a placeholder is never constructed
                    Object args = pop();
                    Object cls = pop();
                    push(newObject(cls, args));
                }
                case 'b' -> {
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> push(persistentLoad.apply(pop()));
                case 'P' -> push(persistentLoad.apply(line()));
                default -> throw fail(String.format("pickle opcode 0x%02x at byte %d is not one a checkpoint uses"
                        + " (Graft reads protocols 2 to 5)", op, pos - 1));
            }
        }
    }

    // ---- globals and calls ------------------------------------------------------------------------------------

    private Py.Global global(String module, String name) {
        if (module.length() > MAX_GLOBAL_NAME || name.length() > MAX_GLOBAL_NAME) {
            throw fail("a global named with " + Math.max(module.length(), name.length())
                    + " characters, which is no Python module or class");
        }
        String full = module + "." + name;
        for (String refused : REFUSED_MODULES) {
            if (module.equals(refused) || module.startsWith(refused + ".")) {
                throw refuse(full);
            }
        }
        if ((module.equals("builtins") || module.equals("__builtin__")) && REFUSED_BUILTINS.contains(name)) {
            throw refuse(full);
        }
        if (!ALLOWED.contains(full)) {
            foreign.add(full);
        }
        return new Py.Global(module, name);
    }

    private GraftException refuse(String global) {
        return fail("it asks to call " + global + ", which no checkpoint needs: refused, nothing was run");
    }

    private Object reduce(Object callable, Object argsValue) {
        if (!(callable instanceof Py.Global g)) {
            throw fail("it calls " + Py.describe(callable) + ", which is not a named function");
        }
        if (!(argsValue instanceof Py.Tuple args)) {
            throw fail("it calls " + g + " with " + Py.describe(argsValue) + " instead of an argument tuple");
        }
        switch (g.toString()) {
            case "collections.OrderedDict": {
                Py.Dict dict = new Py.Dict();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    copy(pairs.size());
                    for (Object pair : pairs) {
                        if (!(pair instanceof List<?> || pair instanceof Py.Tuple)) {
                            throw fail("OrderedDict built from " + Py.describe(pair) + " instead of key-value pairs");
                        }
                        if (pair instanceof List<?> l && l.size() != 2) {
                            throw fail("OrderedDict built from a pair of " + l.size() + " items");
                        }
                        List<Object> kv = pair instanceof Py.Tuple t ? java.util.Arrays.asList(t.items) : new ArrayList<>((List<?>) pair);
                        if (kv.size() != 2) {
                            throw fail("OrderedDict built from a pair of " + kv.size() + " items");
                        }
                        setItems(dict, kv);
                    }
                } else if (args.size() != 0) {
                    throw fail("OrderedDict called with " + args.size() + " arguments");
                }
                return dict;
            }
            case "torch._utils._rebuild_tensor_v2":
                return rebuildTensor(args);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.size() < 1 || !(args.get(0) instanceof Py.TensorRef t)) {
                    throw fail(g + " called without a tensor");
                }
                return t;
            case "torch._tensor._rebuild_from_type_v2": {
                // (func, type, args, state): a tensor of a (sub)class; only the plain classes are accepted
                if (args.size() != 4 || !(args.get(0) instanceof Py.Global func) || !(args.get(2) instanceof Py.Tuple inner)
                        || !(args.get(1) instanceof Py.Global type)) {
                    throw fail(g + " called with unexpected arguments");
                }
                String t = type.toString();
                if (!t.equals("torch.Tensor") && !t.equals("torch.nn.parameter.Parameter")) {
                    throw fail("a tensor of class " + t + " is not supported (only torch.Tensor and nn.Parameter)");
                }
                String f = func.toString();
                if (!f.equals("torch._utils._rebuild_tensor_v2") && !f.equals("torch._utils._rebuild_parameter")
                        && !f.equals("torch._utils._rebuild_parameter_with_state")) {
                    throw fail("a tensor rebuilt by " + f + " is not supported");
                }
                return reduce(func, inner);
            }
            case "torch.Size":
                if (args.size() == 1 && args.get(0) instanceof Py.Tuple dims) {
                    return dims;
                }
                throw fail("torch.Size called with unexpected arguments");
            case "builtins.set":
            case "builtins.frozenset":
            case "__builtin__.set":
            case "__builtin__.frozenset": {
                Py.PySet set = new Py.PySet();
                if (args.size() == 1 && args.get(0) instanceof List<?> items) {
                    copy(items.size());
                    set.items.addAll(items);
                } else if (args.size() != 0) {
                    throw fail(g + " called with unexpected arguments");
                }
                return set;
            }
            case "_codecs.encode": {
                // how protocol 2 writes bytes: encode(str, 'latin1')
                if (args.size() == 2 && args.get(0) instanceof String text && args.get(1) instanceof String enc) {
                    copy(text.length());
                    if (enc.equals("latin1") || enc.equals("latin-1") || enc.equals("iso-8859-1")) {
                        return new Py.Bytes(text.getBytes(StandardCharsets.ISO_8859_1));
                    }
                    if (enc.equals("utf-8") || enc.equals("utf8")) {
                        return new Py.Bytes(text.getBytes(StandardCharsets.UTF_8));
                    }
                }
                throw fail("_codecs.encode called with unexpected arguments");
            }
            case "copyreg._reconstructor": {
                // copyreg's protocol 0/1 way of making a bare instance: (cls, base, state)
                if (args.size() == 3 && args.get(0) instanceof Py.Global cls) {
                    return new Py.Placeholder(cls, new Py.Tuple(new Object[0]), false);
                }
                throw fail("copyreg._reconstructor called with unexpected arguments");
            }
            default:
                return new Py.Placeholder(g, args, true);
        }
    }

    private Object newObject(Object cls, Object argsValue) {
        if (!(cls instanceof Py.Global g)) {
            throw fail("it makes an instance of " + Py.describe(cls) + ", which is not a named class");
        }
        if (!(argsValue instanceof Py.Tuple args)) {
            throw fail("it makes a " + g + " with " + Py.describe(argsValue) + " instead of an argument tuple");
        }
        if (g.toString().equals("collections.OrderedDict")) {
            return new Py.Dict();
        }
        return new Py.Placeholder(g, args, false);
    }

    private void build(Object target, Object state) {
        if (target instanceof Py.Placeholder p) {
            if (state instanceof Py.Dict d) {
                copy(d.items.size());
                p.state.putAll(d.items);
            } else if (state instanceof Py.Tuple t && t.size() == 2
                    && (t.get(0) == null || t.get(0) instanceof Py.Dict) && (t.get(1) == null || t.get(1) instanceof Py.Dict)) {
                for (Object part : t.items) {
                    if (part instanceof Py.Dict d) {
                        copy(d.items.size());
                        p.state.putAll(d.items);
                    }
                }
            } else {
                p.otherState = state;
            }
        } else if (target instanceof Py.Dict d) {
            d.attributes = state; // an OrderedDict's instance attributes, such as a state dict's _metadata
        } else if (!(target instanceof Py.TensorRef)) { // a parameter's extra state is of no use to Graft
            throw fail("it sets the state of " + Py.describe(target));
        }
    }

    // ---- tensors ----------------------------------------------------------------------------------------------

    private Py.TensorRef rebuildTensor(Py.Tuple args) {
        if (args.size() < 6 || args.size() > 7) {
            throw fail("_rebuild_tensor_v2 called with " + args.size() + " arguments");
        }
        if (!(args.get(0) instanceof Py.Storage storage)) {
            throw fail("_rebuild_tensor_v2 called with " + Py.describe(args.get(0)) + " instead of a storage");
        }
        long offset = longValue(args.get(1), "storage offset");
        long[] size = longs(args.get(2), "size");
        long[] stride = longs(args.get(3), "stride");
        if (size.length != stride.length) {
            throw fail("a tensor has " + size.length + " dimensions but " + stride.length + " strides");
        }
        if (args.get(5) instanceof Py.Dict hooks && !hooks.items.isEmpty()) {
            throw fail("a tensor carries backward hooks, which Graft does not run; save it without them");
        }
        return checkedTensor(source, storage, offset, size, stride);
    }

    /** Checks that a view lies within its storage; the element count is bounded so its bytes fit one buffer. */
    static Py.TensorRef checkedTensor(String source, Py.Storage storage, long offset, long[] size, long[] stride) {
        // the message prefix is only built when something is wrong: this runs once per tensor
        java.util.function.Supplier<String> describe = () -> "a tensor " + java.util.Arrays.toString(size)
                + " in storage '" + storage.key + "'";
        if (offset < 0) {
            throw fail(source, describe.get() + " has a negative storage offset " + offset);
        }
        long numel = 1;
        long last = offset;
        try {
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || stride[i] < 0) {
                    throw fail(source, describe.get() + " has a negative size or stride");
                }
                numel = Math.multiplyExact(numel, size[i]);
            }
            if (Math.multiplyExact(numel, (long) storage.type.elementSize()) > Integer.MAX_VALUE) {
                throw fail(source, describe.get() + " takes more than 2 GiB; Graft holds tensors of at most 2 GiB");
            }
            if (numel > 0) {
                for (int i = 0; i < size.length; i++) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            }
        } catch (ArithmeticException e) {
            throw fail(source, describe.get() + " has sizes or strides so large they overflow");
        }
        if (numel > 0 ? last >= storage.numel : offset > storage.numel) {
            throw fail(source, describe.get() + " with offset " + offset + " and strides " + java.util.Arrays.toString(stride)
                    + " reaches element " + last + " of a storage of " + storage.numel + " elements");
        }
        return new Py.TensorRef(storage, offset, size, stride);
    }

    private long[] longs(Object value, String what) {
        if (!(value instanceof Py.Tuple t)) {
            throw fail("a tensor's " + what + " is " + Py.describe(value) + ", not a tuple of integers");
        }
        if (t.size() > 64) {
            throw fail("a tensor has " + t.size() + " dimensions");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = longValue(t.get(i), what);
        }
        return out;
    }

    private long longValue(Object value, String what) {
        if (value instanceof Long l) {
            return l;
        }
        throw fail("a tensor's " + what + " is " + Py.describe(value) + ", not a 64-bit integer");
    }

    // ---- containers -------------------------------------------------------------------------------------------

    private void append(Object target, List<Object> items) {
        List<Object> values = new ArrayList<>(items.size());
        for (Object item : items) {
            values.add(item == NULL_ITEM ? null : item);
        }
        if (target instanceof List<?>) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) target;
            list.addAll(values);
        } else if (target instanceof Py.Placeholder p) {
            p.listItems.addAll(values);
        } else {
            throw fail("it appends to " + Py.describe(target));
        }
    }

    /** List.of refuses nulls; None items travel as this marker into {@link #append}. */
    private static final Object NULL_ITEM = new Object();

    private static Object wrapNull(Object item) {
        return item == null ? NULL_ITEM : item;
    }

    private void setItems(Object target, List<Object> keysAndValues) {
        if (keysAndValues.size() % 2 != 0) {
            throw fail("SETITEMS with an odd number of items");
        }
        Map<Object, Object> map;
        if (target instanceof Py.Dict d) {
            map = d.items;
        } else if (target instanceof Py.Placeholder p) {
            map = p.dictItems;
        } else {
            throw fail("it sets items of " + Py.describe(target));
        }
        for (int i = 0; i < keysAndValues.size(); i += 2) {
            Object key = keysAndValues.get(i);
            checkKey(key);
            if (map.containsKey(key)) {
                throw fail("the key " + keyText(key) + " appears twice in one dict");
            }
            map.put(key, keysAndValues.get(i + 1));
        }
    }

    private void checkKey(Object key) {
        boolean simple = key == null || key instanceof String || key instanceof Long || key instanceof BigInteger
                || key instanceof Boolean || key instanceof Double || key instanceof Py.Global;
        if (key instanceof Py.Tuple t && t.longestText > MAX_GLOBAL_NAME) {
            // a tuple's hash reads its strings (String caches its own hash; a tuple key's keyed hash cannot)
            throw fail("a dict key is a tuple holding a string of " + t.longestText + " characters, which no checkpoint"
                    + " uses as a key");
        }
        if (key instanceof Py.Tuple t && t.depth <= 4) {
            for (Object item : t.items) {
                if (!(item instanceof Py.Tuple)) {
                    checkKey(item);
                }
            }
            simple = true;
        }
        if (!simple) {
            throw fail("a dict key is " + Py.describe(key) + ", which no checkpoint uses as a key");
        }
    }

    private static String keyText(Object key) {
        if (key instanceof String s) {
            return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
        }
        return key instanceof Long ? key.toString() : Py.describe(key);
    }

    private void copy(long items) {
        copyAllowance -= items;
        if (copyAllowance < 0) {
            throw fail("it copies values it already built over and over, far beyond what its size justifies; refused");
        }
    }

    // ---- stack and memo ---------------------------------------------------------------------------------------

    private void push(Object value) {
        if (stack.size() >= MAX_STACK) {
            throw fail("its stack grows beyond " + MAX_STACK + " values");
        }
        stack.add(value);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw fail("its stack underflows at byte " + (pos - 1));
        }
        Object value = stack.remove(stack.size() - 1);
        if (value == MARK) {
            throw fail("a mark is used as a value at byte " + (pos - 1));
        }
        return value;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail("its stack underflows at byte " + (pos - 1));
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw fail("no mark to pop to at byte " + (pos - 1));
        }
        int at = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(at + 1, stack.size()));
        for (Object item : items) {
            if (item == MARK) {
                throw fail("a mark is used as a value at byte " + (pos - 1));
            }
        }
        stack.subList(at, stack.size()).clear();
        return items;
    }

    private void memoPut(long index) {
        Object value = peek();
        if (index < MAX_MEMO) {
            int i = (int) index;
            if (i >= memoArray.length) {
                Object[] grown = new Object[(int) Math.min(MAX_MEMO, Math.max(i + 1L, 2L * memoArray.length))];
                System.arraycopy(memoArray, 0, grown, 0, memoArray.length);
                memoArray = grown;
            }
            if (memoArray[i] == null) {
                checkMemoRoom();
                memoArrayCount++;
            }
            memoArray[i] = value == null ? ABSENT : value;
            return;
        }
        if (!memo.containsKey(index)) {
            checkMemoRoom();
        }
        memo.put(index, value);
    }

    private void checkMemoRoom() {
        if (memoArrayCount + memo.size() >= MAX_MEMO) {
            throw fail("its memo grows beyond " + MAX_MEMO + " entries");
        }
    }

    private Object memoGet(long index) {
        Object value = index < memoArray.length ? memoArray[(int) index] : memo.getOrDefault(index, null);
        if (value == null && (index < memoArray.length || !memo.containsKey(index))) {
            throw fail("it refers to memo entry " + index + ", which was never stored");
        }
        return value == ABSENT ? null : value;
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    private int need(int n, String what) {
        if (n < 0 || in.limit() - pos < n) {
            throw fail("truncated: the pickle ends inside a " + what + " at byte " + pos);
        }
        int at = pos;
        pos += n;
        return at;
    }

    private int u8() {
        return in.get(need(1, "opcode")) & 0xff;
    }

    private int i32() {
        return in.getInt(need(4, "32-bit integer"));
    }

    private int length32() {
        long n = Integer.toUnsignedLong(i32());
        if (n > in.limit() - pos) {
            throw fail("truncated: a string of " + n + " bytes at byte " + pos + " runs past the end");
        }
        return (int) n;
    }

    private int length64() {
        long n = in.getLong(need(8, "64-bit length"));
        if (n < 0 || n > in.limit() - pos) {
            throw fail("truncated: a string of " + Long.toUnsignedString(n) + " bytes at byte " + pos + " runs past the end");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        byte[] out = new byte[n];
        in.get(need(n, "string"), out);
        return out;
    }

    private String utf8(int n) {
        byte[] bytes = bytes(n);
        boolean ascii = true;
        for (byte b : bytes) {
            ascii &= b >= 0;
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail("a string at byte " + pos + " is not valid UTF-8");
        }
    }

    private String latin1(int n) {
        return new String(bytes(n), StandardCharsets.ISO_8859_1);
    }

    private Object longBytes(int n) {
        byte[] le = bytes(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = le[n - 1 - i];
        }
        BigInteger value = new BigInteger(be);
        return value.bitLength() < 64 ? (Object) value.longValue() : value;
    }

    /** A newline-terminated text argument (protocol 0 opcodes and GLOBAL), at most 4096 bytes. */
    private String line() {
        int limit = Math.min(in.limit(), pos + 4096);
        for (int i = pos; i < limit; i++) {
            if (in.get(i) == '\n') {
                String text = latin1(i - pos);
                pos++;
                return text;
            }
        }
        throw fail("truncated or corrupt: a text argument at byte " + pos + " has no end of line");
    }

    private Object textInt(String text) {
        if (text.equals("00")) {
            return Boolean.FALSE;
        }
        if (text.equals("01")) {
            return Boolean.TRUE;
        }
        try {
            if (text.length() > 400) {
                throw new NumberFormatException();
            }
            BigInteger value = new BigInteger(text.trim());
            return value.bitLength() < 64 ? (Object) value.longValue() : value;
        } catch (NumberFormatException e) {
            throw fail("an integer at byte " + pos + " is not a number");
        }
    }

    private long textIndex(String text) {
        Object value = textInt(text);
        if (value instanceof Long l && l >= 0) {
            return l;
        }
        throw fail("a memo index at byte " + pos + " is not a small integer");
    }

    private static String stripSuffix(String text, String suffix) {
        return text.endsWith(suffix) ? text.substring(0, text.length() - suffix.length()) : text;
    }

    private GraftException fail(String problem) {
        return fail(source, problem);
    }

    /**
     * The one-line refusal. Names and keys quoted in it come from the file, so control characters (a newline in a
     * key, say) are replaced, and an absurdly long problem is cut, to keep it one readable line.
     */
    static GraftException fail(String source, String problem) {
        String line = problem.length() > 500 ? problem.substring(0, 500) + "..." : problem;
        return new GraftException(("cannot read " + source + ": " + line).replaceAll("\\p{Cntrl}", "?"));
    }

    private static Set<String> allowed() {
        Set<String> names = new java.util.HashSet<>(Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
                "torch._tensor._rebuild_from_type_v2", "torch.Tensor", "torch.nn.parameter.Parameter", "torch.Size",
                "torch.device", "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset",
                "_codecs.encode"));
        for (ScalarType t : ScalarType.values()) {
            names.add("torch." + t.storageName());
        }
        for (String dtype : List.of("float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64",
                "long", "int32", "int", "int16", "short", "int8", "uint8", "bool")) {
            names.add("torch." + dtype);
        }
        return Set.copyOf(names);
    }
}
