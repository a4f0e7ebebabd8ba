package dev.graft.exporter.onnx;

/**
 * Plain-Java reference implementations of the ONNX operators the tests use, on NCHW float arrays, accumulating in
 * double so that the only error left to compare is ONNX Runtime's own float arithmetic.
 *
 * <p>Written from the operator definitions, as slowly and obviously as possible: they are the oracle.
 */
final class Reference {
    private Reference() {
    }

    /** Output size of a convolution or pooling window along one axis. */
    static int outSize(int in, int kernel, int stride, int pad) {
        return (in + 2 * pad - kernel) / stride + 1;
    }

    /** Conv with a square kernel, equal padding on all sides, no dilation or groups; weight is [oc, c, k, k]. */
    static float[] conv2d(float[] x, int n, int c, int h, int w, float[] weight, float[] bias, int oc, int k,
                          int stride, int pad) {
        int oh = outSize(h, k, stride, pad);
        int ow = outSize(w, k, stride, pad);
        float[] y = new float[n * oc * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double sum = bias[o];
                        for (int ci = 0; ci < c; ci++) {
                            for (int ki = 0; ki < k; ki++) {
                                for (int kj = 0; kj < k; kj++) {
                                    int yy = i * stride - pad + ki;
                                    int xx = j * stride - pad + kj;
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                        sum += (double) x[((b * c + ci) * h + yy) * w + xx]
                                                * weight[((o * c + ci) * k + ki) * k + kj];
                                    }
                                }
                            }
                        }
                        y[((b * oc + o) * oh + i) * ow + j] = (float) sum;
                    }
                }
            }
        }
        return y;
    }

    /** MaxPool with a square window; padding never wins (it counts as minus infinity). */
    static float[] maxPool(float[] x, int n, int c, int h, int w, int k, int stride, int pad) {
        int oh = outSize(h, k, stride, pad);
        int ow = outSize(w, k, stride, pad);
        float[] y = new float[n * c * oh * ow];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int ki = 0; ki < k; ki++) {
                        for (int kj = 0; kj < k; kj++) {
                            int yy = i * stride - pad + ki;
                            int xx = j * stride - pad + kj;
                            if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                max = Math.max(max, x[(p * h + yy) * w + xx]);
                            }
                        }
                    }
                    y[(p * oh + i) * ow + j] = max;
                }
            }
        }
        return y;
    }

    /** GlobalAveragePool followed by Flatten: [n, c, h, w] to [n, c]. */
    static float[] globalAveragePool(float[] x, int n, int c, int h, int w) {
        float[] y = new float[n * c];
        for (int p = 0; p < n * c; p++) {
            double sum = 0;
            for (int q = 0; q < h * w; q++) {
                sum += x[p * h * w + q];
            }
            y[p] = (float) (sum / (h * w));
        }
        return y;
    }

    /** GlobalMaxPool followed by Flatten: [n, c, h, w] to [n, c]. */
    static float[] globalMaxPool(float[] x, int n, int c, int h, int w) {
        float[] y = new float[n * c];
        for (int p = 0; p < n * c; p++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int q = 0; q < h * w; q++) {
                max = Math.max(max, x[p * h * w + q]);
            }
            y[p] = max;
        }
        return y;
    }

    /** x [n, k] times the transpose of weight [m, k], plus bias [m]: Gemm with transB = 1, a PyTorch Linear. */
    static float[] linear(float[] x, int n, int k, float[] weight, float[] bias, int m) {
        float[] y = new float[n * m];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < m; o++) {
                double sum = bias[o];
                for (int i = 0; i < k; i++) {
                    sum += (double) x[b * k + i] * weight[o * k + i];
                }
                y[b * m + o] = (float) sum;
            }
        }
        return y;
    }

    /** x [n, k] times weight [k, m]: MatMul. */
    static float[] matMul(float[] x, int n, int k, float[] weight, int m) {
        float[] y = new float[n * m];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < m; o++) {
                double sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += (double) x[b * k + i] * weight[i * m + o];
                }
                y[b * m + o] = (float) sum;
            }
        }
        return y;
    }

    /** Softmax over each row of [n, m]. */
    static float[] softmaxRows(float[] x, int n, int m) {
        float[] y = new float[n * m];
        for (int b = 0; b < n; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < m; o++) {
                max = Math.max(max, x[b * m + o]);
            }
            double sum = 0;
            for (int o = 0; o < m; o++) {
                sum += Math.exp(x[b * m + o] - max);
            }
            for (int o = 0; o < m; o++) {
                y[b * m + o] = (float) (Math.exp(x[b * m + o] - max) / sum);
            }
        }
        return y;
    }

    /** Inference-mode BatchNormalization over channel axis 1. */
    static float[] batchNorm(float[] x, int n, int c, int hw, float[] scale, float[] bias, float[] mean,
                             float[] var, double epsilon) {
        float[] y = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                double s = scale[ch] / Math.sqrt(var[ch] + epsilon);
                for (int q = 0; q < hw; q++) {
                    int idx = (b * c + ch) * hw + q;
                    y[idx] = (float) ((x[idx] - mean[ch]) * s + bias[ch]);
                }
            }
        }
        return y;
    }

    /** Concat along axis 1 of [n, ca, hw] and [n, cb, hw]. */
    static float[] concatChannels(float[] a, int ca, float[] b, int cb, int n, int hw) {
        float[] y = new float[n * (ca + cb) * hw];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a, i * ca * hw, y, i * (ca + cb) * hw, ca * hw);
            System.arraycopy(b, i * cb * hw, y, (i * (ca + cb) + ca) * hw, cb * hw);
        }
        return y;
    }

    /** Adds a per-channel value, as Add does with a [c, 1, 1] operand. */
    static float[] addPerChannel(float[] x, int n, int c, int hw, float[] perChannel) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] + perChannel[(i / hw) % c];
        }
        return y;
    }

    static float[] relu(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.max(0f, x[i]);
        }
        return y;
    }

    static float[] sigmoid(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) (1 / (1 + Math.exp(-x[i])));
        }
        return y;
    }

    /** Values from a normal distribution scaled by {@code std}, for weights and inputs. */
    static float[] gaussian(java.util.Random random, int count, double std) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }
}
