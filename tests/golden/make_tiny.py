"""make_tiny.py OUT.onnx - the small model whose generated header is the golden file.
Conv(3x3, pad 1) + Relu -> GlobalAveragePool -> Flatten -> Gemm, seeded weights."""
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

rng = np.random.default_rng(7)
w = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "conv.w")
b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "conv.b")
fw = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "fc.w")
fb = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc.b")
nodes = [
    helper.make_node("Conv", ["image", "conv.w", "conv.b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
    helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
    helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["scores"], name="fc", transB=1),
]
graph = helper.make_graph(nodes, "tiny",
                          [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 2, 5, 5])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 3])],
                          [w, b, fw, fb])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-tests")
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
