package dev.graft.exporter.onnx;

import static dev.graft.exporter.onnx.OnnxDim.fixed;
import static dev.graft.exporter.onnx.OnnxDim.symbolic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The builder's bookkeeping: names, order, opsets, and how values are encoded. */
class OnnxGraphBuilderTest {

    private static OnnxGraphBuilder withInput(int opset) {
        return new OnnxGraphBuilder("g", opset).addInput("x", symbolic("batch"), fixed(3));
    }

    @ParameterizedTest
    @CsvSource({"13,7", "14,7", "15,8", "16,8", "17,8"})
    void irVersionFollowsTheOpset(int opset, int ir) {
        OnnxGraphBuilder b = withInput(opset).addOutput("y");
        b.node(OnnxOperator.RELU, List.of("x"), List.of("y"));

        ModelProto model = b.build();

        assertThat(model.getIrVersion()).isEqualTo(ir);
        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(opset);
        assertThat(model.getProducerName()).isEqualTo("graft");
    }

    @Test
    void defaultOpsetIsSeventeen() {
        assertThat(new OnnxGraphBuilder("g").opset()).isEqualTo(17);
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 18, 0})
    void unsupportedOpsetIsRejected(int opset) {
        assertThatThrownBy(() -> new OnnxGraphBuilder("g", opset))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("13 to 17");
    }

    @Test
    void operatorNewerThanTheOpsetIsRejected() {
        OnnxGraphBuilder b = withInput(13);

        assertThatThrownBy(() -> b.node(OnnxOperator.HARD_SWISH, List.of("x"), List.of("y")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HardSwish needs ONNX opset 14");
        withInput(14).node(OnnxOperator.HARD_SWISH, List.of("x"), List.of("y"));
    }

    @Test
    void duplicateNodeNameIsIllegalState() {
        OnnxGraphBuilder b = withInput(17);
        b.node(OnnxOperator.RELU, "act", List.of("x"), List.of("a"));

        assertThatThrownBy(() -> b.node(OnnxOperator.SIGMOID, "act", List.of("a"), List.of("b")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("duplicate ONNX node name 'act'");
    }

    @Test
    void duplicateTensorNamesAreIllegalState() {
        OnnxGraphBuilder b = withInput(17).addInitializer("w", new float[] {1}, 1);
        b.node(OnnxOperator.RELU, List.of("x"), List.of("a"));

        assertThatThrownBy(() -> b.addInput("x", fixed(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.addInitializer("w", new float[] {2}, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.addInitializer("x", new float[] {2}, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.node(OnnxOperator.RELU, List.of("x"), List.of("w")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("writes tensor 'w', which exists already");
        assertThatThrownBy(() -> b.node(OnnxOperator.RELU, List.of("x"), List.of("a")))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.node(OnnxOperator.DROPOUT, List.of("x"), List.of("z", "z")))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.addOutput("a").addOutput("a")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void failedNodeLeavesNoTrace() {
        OnnxGraphBuilder b = withInput(17);
        assertThatThrownBy(() -> b.node(OnnxOperator.ADD, "add", List.of("x", "missing"), List.of("y")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("reads tensor 'missing'");

        b.node(OnnxOperator.RELU, "add", List.of("x"), List.of("y"));

        assertThat(b.addOutput("y").build().getGraph().getNodeList()).extracting(NodeProto::getName)
                .containsExactly("add");
    }

    @Test
    void nodesMustComeAfterTheTensorsTheyRead() {
        OnnxGraphBuilder b = withInput(17);

        assertThatThrownBy(() -> b.node(OnnxOperator.RELU, List.of("later"), List.of("y")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no graph input, initializer or earlier node produces");
    }

    @Test
    void emptyNamesStandForOmittedOptionalInputsAndOutputs() {
        OnnxGraphBuilder b = withInput(17).addOutput("y");
        b.node(OnnxOperator.DROPOUT, List.of("x", "", ""), List.of("y", ""));

        NodeProto node = b.build().getGraph().getNode(0);

        assertThat(node.getInputList()).containsExactly("x", "", "");
        assertThat(node.getOutputList()).containsExactly("y", "");
    }

    @Test
    void everyDeclaredOutputMustBeProduced() {
        OnnxGraphBuilder b = withInput(17).addOutput("y");

        assertThatThrownBy(b::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'y' is declared but nothing");
        assertThatThrownBy(() -> withInput(17).build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void generatedNamesAreUnique() {
        OnnxGraphBuilder b = withInput(17);
        b.node(OnnxOperator.RELU, List.of("x"), List.of("a"));
        b.node(OnnxOperator.RELU, List.of("a"), List.of("b"));
        b.node(OnnxOperator.RELU, "Relu_3", List.of("b"), List.of("c"));
        b.node(OnnxOperator.RELU, List.of("c"), List.of("d"));

        assertThat(b.addOutput("d").build().getGraph().getNodeList()).extracting(NodeProto::getName)
                .containsExactly("Relu", "Relu_1", "Relu_3", "Relu_2");
        assertThat(b.uniqueNodeName("Relu")).isEqualTo("Relu_4");
        assertThat(b.uniqueNodeName("Conv")).isEqualTo("Conv");
        assertThat(b.uniqueTensorName("x")).isEqualTo("x_1");
        assertThat(b.uniqueTensorName("fresh")).isEqualTo("fresh");
        assertThat(b.hasTensor("d")).isTrue();
    }

    @Test
    void floatInitializerIsLittleEndianRawData() {
        OnnxGraphBuilder b = withInput(17)
                .addInitializer("w", new float[] {1.0f, -2.5f, 0f, 3e-8f, 7f, 8f}, 2, 3)
                .addInitializer("scalar", new float[] {1.0f})
                .addOutput("y");
        b.node(OnnxOperator.MUL, List.of("w", "scalar"), List.of("y"));

        TensorProto w = b.build().getGraph().getInitializer(0);

        assertThat(w.getName()).isEqualTo("w");
        assertThat(w.getDataType()).isEqualTo(DataType.FLOAT_VALUE);
        assertThat(w.getDimsList()).containsExactly(2L, 3L);
        assertThat(w.getFloatDataCount()).isZero();
        byte[] raw = w.getRawData().toByteArray();
        assertThat(raw).hasSize(24);
        assertThat(java.util.Arrays.copyOf(raw, 8))
                .containsExactly(0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0); // 1.0f, -2.5f
        assertThat(b.build().getGraph().getInitializer(1).getDimsList()).isEmpty();
    }

    @Test
    void integerInitializersAreLittleEndianRawData() {
        OnnxGraphBuilder b = withInput(17)
                .addInitializer("shape", new long[] {1, -1}, 2)
                .addUint8Initializer("zp", new byte[] {(byte) 200}, 1)
                .addInt8Initializer("zp8", new byte[] {-3});
        List<TensorProto> inits = b.addOutput("x").build().getGraph().getInitializerList();

        assertThat(inits.get(0).getDataType()).isEqualTo(DataType.INT64_VALUE);
        assertThat(inits.get(0).getRawData().toByteArray()).containsExactly(
                1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertThat(inits.get(1).getDataType()).isEqualTo(DataType.UINT8_VALUE);
        assertThat(inits.get(1).getRawData().toByteArray()).containsExactly(200);
        assertThat(inits.get(2).getDataType()).isEqualTo(DataType.INT8_VALUE);
        assertThat(inits.get(2).getRawData().toByteArray()).containsExactly(-3);
    }

    @Test
    void initializerMustFillItsShape() {
        assertThatThrownBy(() -> withInput(17).addInitializer("w", new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 values but its shape [2, 3] holds 6");
        assertThatThrownBy(() -> withInput(17).addInitializer("w", new float[0], 2, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inputsAndOutputsCarrySymbolicAndFixedDims() {
        OnnxGraphBuilder b = new OnnxGraphBuilder("g")
                .addInput("image", symbolic("batch"), fixed(3), symbolic("height"), symbolic("width"))
                .addOutput("labels", DataType.INT64, symbolic("batch"));
        b.node(OnnxOperator.CAST, List.of("image"), List.of("labels"), OnnxAttribute.ofInt("to", 7));

        ModelProto model = b.build();

        TensorShapeProto in = model.getGraph().getInput(0).getType().getTensorType().getShape();
        assertThat(model.getGraph().getInput(0).getType().getTensorType().getElemType())
                .isEqualTo(DataType.FLOAT_VALUE);
        assertThat(in.getDim(0).getDimParam()).isEqualTo("batch");
        assertThat(in.getDim(1).hasDimValue()).isTrue();
        assertThat(in.getDim(1).getDimValue()).isEqualTo(3);
        assertThat(in.getDim(3).getDimParam()).isEqualTo("width");
        assertThat(model.getGraph().getOutput(0).getType().getTensorType().getElemType())
                .isEqualTo(DataType.INT64_VALUE);
    }

    @Test
    void attributesCarryTheirType() {
        OnnxGraphBuilder b = withInput(17).addOutput("y");
        b.node(OnnxOperator.CONV, List.of("x", "x"), List.of("y"),
                OnnxAttribute.ofInt("group", 1),
                OnnxAttribute.ofInts("pads", 1, 1, 1, 1),
                OnnxAttribute.ofFloat("alpha", 0.5f),
                OnnxAttribute.ofFloats("scales", 1f, 2f),
                OnnxAttribute.ofString("auto_pad", "NOTSET"));

        List<AttributeProto> attrs = b.build().getGraph().getNode(0).getAttributeList();

        assertThat(attrs).extracting(AttributeProto::getType).containsExactly(
                AttributeType.INT, AttributeType.INTS, AttributeType.FLOAT, AttributeType.FLOATS,
                AttributeType.STRING);
        assertThat(attrs.get(0).getI()).isEqualTo(1);
        assertThat(attrs.get(1).getIntsList()).containsExactly(1L, 1L, 1L, 1L);
        assertThat(attrs.get(2).getF()).isEqualTo(0.5f);
        assertThat(attrs.get(3).getFloatsList()).containsExactly(1f, 2f);
        assertThat(attrs.get(4).getS().toStringUtf8()).isEqualTo("NOTSET");
    }

    @Test
    void repeatedAttributeIsRejected() {
        assertThatThrownBy(() -> withInput(17).node(OnnxOperator.FLATTEN, List.of("x"), List.of("y"),
                OnnxAttribute.ofInt("axis", 1), OnnxAttribute.ofInt("axis", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'axis' twice");
    }

    @Test
    void metadataIsSortedAndLaterValuesWin() {
        OnnxGraphBuilder b = withInput(17).addOutput("x")
                .metadata(Map.of("b", "1", "a", "2"))
                .metadata(Map.of("b", "3"))
                .producerVersion("9.9")
                .docString("note");

        ModelProto model = b.build();

        assertThat(model.getMetadataPropsList()).extracting(e -> e.getKey() + "=" + e.getValue())
                .containsExactly("a=2", "b=3");
        assertThat(model.getProducerVersion()).isEqualTo("9.9");
        assertThat(model.getDocString()).isEqualTo("note");
    }
}
