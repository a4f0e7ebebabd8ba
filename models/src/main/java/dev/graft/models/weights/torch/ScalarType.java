package dev.graft.models.weights.torch;

/**
 * The element types of the tensors Graft reads from PyTorch files, named as PyTorch's typed storage classes name them
 * ({@code torch.FloatStorage} and so on), which is how a pickle says what a storage holds.
 */
public enum ScalarType {
    FLOAT("FloatStorage", 4),
    DOUBLE("DoubleStorage", 8),
    HALF("HalfStorage", 2),
    BFLOAT16("BFloat16Storage", 2),
    LONG("LongStorage", 8),
    INT("IntStorage", 4),
    SHORT("ShortStorage", 2),
    CHAR("CharStorage", 1),
    BYTE("ByteStorage", 1),
    BOOL("BoolStorage", 1);

    private final String storageName;
    private final int elementSize;

    ScalarType(String storageName, int elementSize) {
        this.storageName = storageName;
        this.elementSize = elementSize;
    }

    /** The storage class name in module {@code torch}, such as {@code FloatStorage}. */
    public String storageName() {
        return storageName;
    }

    /** Bytes per element. */
    public int elementSize() {
        return elementSize;
    }

    /** The type for {@code torch.<name>}, or null when Graft does not read that storage type. */
    static ScalarType ofStorage(String name) {
        for (ScalarType t : values()) {
            if (t.storageName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
