package dev.graft.models.weights.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns a tensor view into contiguous row-major bytes: a slice of the storage (no copy) when the view already is
 * contiguous, a gathered copy otherwise.
 */
final class Materialiser {
    private Materialiser() {
    }

    /**
     * @param allowance bytes that copies may still take, shared by all tensors of a file and decreased here, so a file
     *     of tiny storages viewed as huge expanded tensors cannot make Graft allocate without bound
     */
    static ByteBuffer contiguous(String source, Py.TensorRef t, long[] allowance) {
        Py.Storage storage = t.storage();
        if (storage.data == null) {
            throw PickleMachine.fail(source, "storage '" + storage.key + "' has no data");
        }
        int es = storage.type.elementSize();
        long[] size = t.size();
        long[] stride = t.stride();
        long numel = 1;
        for (long d : size) {
            numel *= d; // checked against overflow and 2 GiB when the view was rebuilt
        }
        ByteBuffer data = storage.data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (numel == 0) {
            return ByteBuffer.allocate(0).asReadOnlyBuffer();
        }
        if (isContiguous(size, stride)) {
            return data.slice((int) (t.offset() * es), (int) (numel * es)).asReadOnlyBuffer();
        }
        long bytes = numel * es;
        if (bytes > allowance[0]) {
            throw PickleMachine.fail(source, "a strided tensor " + java.util.Arrays.toString(size) + " would need "
                    + bytes + " bytes of copies, more than the file itself justifies");
        }
        allowance[0] -= bytes;
        ByteBuffer out = ByteBuffer.allocate((int) bytes);
        int rank = size.length;
        long[] index = new long[rank];
        long inner = size[rank - 1];
        long innerStride = stride[rank - 1];
        int at = 0;
        while (true) {
            long base = t.offset();
            for (int d = 0; d < rank - 1; d++) {
                base += index[d] * stride[d];
            }
            if (innerStride == 1) {
                out.put(at, data, (int) (base * es), (int) (inner * es));
                at += (int) (inner * es);
            } else {
                for (long i = 0; i < inner; i++) {
                    out.put(at, data, (int) ((base + i * innerStride) * es), es);
                    at += es;
                }
            }
            int d = rank - 2;
            while (d >= 0 && ++index[d] == size[d]) {
                index[d] = 0;
                d--;
            }
            if (d < 0) {
                break;
            }
        }
        return out.asReadOnlyBuffer();
    }

    /** Row-major with no gaps; dimensions of size 1 may have any stride, as PyTorch allows. */
    static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }
}
