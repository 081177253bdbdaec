#!/usr/bin/env python3
"""make_corpus.py - the error corpus: broken and hostile models kiln must
reject cleanly (exit 1, one clear first diagnostic line naming the file and,
where there is one, the node), plus a few odd-but-legal ones it must accept.

    python3 make_corpus.py OUTDIR      writes OUTDIR/CASE/CASE.onnx (or .kg)

Each case gets a folder of its own so external-data cases can place side
files next to the model (and one file outside it, OUTDIR/outside.bin, for the
escaping cases). Nothing here is committed as a binary: every model is built
at test time with onnx.helper, or as raw protobuf bytes where the point is a
malformed encoding onnx.helper cannot produce. The expected first diagnostic
line of CASE is tests/errors/CASE.err, with the case folder written as $DIR.
Cases named ok_* must compile (exit 0, nothing on stderr).

Hostile sizes are declared, never materialised: the 2 GiB+ tensors are dims
and external-data lengths over files of a few bytes, so the corpus stays tiny
and a kiln that allocated before validating would be caught by the runner's
memory limit.
"""

import os
import shutil
import struct
import sys

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# ------------------------------------------------------------ onnx helpers

def H():
    from onnx import helper
    return helper


def TP():
    from onnx import TensorProto
    return TensorProto


def vi(name, dims, elem=None):
    elem = TP().FLOAT if elem is None else elem
    return H().make_tensor_value_info(name, elem, dims)


def model(nodes, inputs, outputs, inits=(), opset=13, functions=(), domains=()):
    h = H()
    g = h.make_graph(list(nodes), "g", list(inputs), list(outputs), initializer=list(inits))
    imports = [h.make_opsetid("", opset)] if opset is not None else []
    imports += [h.make_opsetid(d, 1) for d in domains]
    m = h.make_model(g, opset_imports=imports, functions=list(functions))
    m.ir_version = 8
    return m


def relu_model(x_dims=(1, 4), **kw):
    """x -> Relu -> y: the base most cases mutate."""
    h = H()
    return model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", list(x_dims))],
                 [vi("y", list(x_dims))], **kw)


def add_w_model(w):
    """x:f32[2,3] + w -> y, with w an initializer (a TensorProto)."""
    h = H()
    return model([h.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [2, 3])], [vi("y", [2, 3])],
                 inits=[w])


def raw_tensor(name, dims, elem, raw):
    t = TP()()
    t.name = name
    t.data_type = elem
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def typed_tensor(name, dims, elem, field, values):
    """A tensor with data in a typed field (float_data, int64_data, ...), unchecked."""
    t = TP()()
    t.name = name
    t.data_type = elem
    t.dims.extend(dims)
    getattr(t, field).extend(values)
    return t


def ext_tensor(name, dims, elem, entries):
    """An initializer whose data lives in an external file (entries: key -> value)."""
    t = TP()()
    t.name = name
    t.data_type = elem
    t.dims.extend(dims)
    t.data_location = TP().EXTERNAL
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, str(v)
    return t


# ------------------------------------------------------ raw protobuf bytes

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def ld(field, payload):
    """A length-delimited field."""
    return key(field, 2) + varint(len(payload)) + payload


def opset_bytes(version):
    return ld(8, ld(1, b"") + key(2, 0) + varint(version))


# ================================================================= cases
# Each returns {filename: bytes | onnx.ModelProto | ("symlink", target) | ("sparse", size)};
# the model file is CASE.onnx / CASE.kg.

# ---- the protobuf encoding itself

@case
def empty_file(n):
    return {n + ".onnx": b""}


@case
def model_is_folder(n):
    return {n + ".onnx/keep": b""}


@case
def model_missing(n):
    return {}


@case
def trunc_header(n):
    return {n + ".onnx": relu_model().SerializeToString()[:3]}


@case
def trunc_half(n):
    b = relu_model().SerializeToString()
    return {n + ".onnx": b[:len(b) // 2]}


@case
def trunc_last_byte(n):
    return {n + ".onnx": relu_model().SerializeToString()[:-1]}


@case
def trunc_in_raw_data(n):
    w = raw_tensor("w", [2, 3], TP().FLOAT, bytes(24))
    b = add_w_model(w).SerializeToString()
    i = b.index(bytes(24))
    return {n + ".onnx": b[:i + 10]}


@case
def garbage(n):
    # a fixed pseudo-random byte string (no randomness at test time)
    s, out = 12345, bytearray()
    for _ in range(512):
        s = (s * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(s >> 16 & 0xFF)
    return {n + ".onnx": bytes(out)}


@case
def wire_graph_varint(n):
    # Model.graph (field 7) must be length-delimited; here it is a varint
    return {n + ".onnx": key(1, 0) + varint(8) + opset_bytes(13) + key(7, 0) + varint(5)}


@case
def wire_ir_version_bytes(n):
    # Model.ir_version (field 1) must be a varint; here it is length-delimited
    return {n + ".onnx": ld(1, b"\x08") + opset_bytes(13)}


@case
def wire_dims_fixed64(n):
    # Tensor.dims (field 1) as a fixed64, inside an initializer of the graph
    tensor = key(1, 1) + struct.pack("<q", 4) + key(2, 0) + varint(1) + ld(8, b"w")
    graph = ld(5, tensor)
    return {n + ".onnx": key(1, 0) + varint(8) + opset_bytes(13) + ld(7, graph)}


@case
def wire_group(n):
    # a deprecated start-group wire type (3) where the graph should be
    return {n + ".onnx": key(1, 0) + varint(8) + opset_bytes(13) + key(7, 3) + key(7, 4)}


@case
def varint_overlong(n):
    # an 11-byte varint (at most 10 are valid)
    return {n + ".onnx": key(1, 0) + b"\xff" * 10 + b"\x01" + opset_bytes(13)}


@case
def length_past_end(n):
    # the graph claims 1000 bytes, the file ends after 4
    return {n + ".onnx": key(1, 0) + varint(8) + opset_bytes(13) + key(7, 2) + varint(1000) + b"\x0a\x02ab"}


@case
def length_huge(n):
    # a length of 2^63: must not be trusted for an allocation
    return {n + ".onnx": key(1, 0) + varint(8) + key(7, 2) + varint(1 << 63) + b"\x00" * 8}


@case
def ok_odd_names(n):
    # names are bytes to kiln: not UTF-8, quotes, comment terminators, newlines and
    # very long names must come out as valid C (escaped strings, sanitised comments)
    h = H()
    odd = ["x\"*/\n??=\\", "y" * 70000, "r\tq\x01"]
    nodes = [h.make_node("Relu", [odd[0]], [odd[2]], name="n*/\"1"),
             h.make_node("Sigmoid", [odd[2]], [odd[1]], name="z" * 70000)]
    b = model(nodes, [vi(odd[0], [1, 4])], [vi(odd[1], [1, 4])]).SerializeToString()
    return {n + ".onnx": b.replace(b"r\tq", b"r\xff\xfe")}


# ---- initializer data vs shape

@case
def raw_short(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [2, 3], TP().FLOAT, bytes(20)))}


@case
def raw_long(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [2, 3], TP().FLOAT, bytes(28)))}


@case
def float_data_short(n):
    return {n + ".onnx": add_w_model(typed_tensor("w", [2, 3], TP().FLOAT, "float_data", [1.0] * 5))}


@case
def float_data_long(n):
    return {n + ".onnx": add_w_model(typed_tensor("w", [2, 3], TP().FLOAT, "float_data", [1.0] * 7))}


@case
def int64_data_short(n):
    h = H()
    shape = typed_tensor("shape", [2], TP().INT64, "int64_data", [3])
    return {n + ".onnx": model([h.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                               [vi("x", [2, 3])], [vi("y", [3, 2])], inits=[shape])}


@case
def int32_data_long(n):
    h = H()
    w = typed_tensor("w", [2], TP().INT8, "int32_data", [1, 2, 3])
    return {n + ".onnx": model([h.make_node("Add", ["x", "w"], ["y"], name="add")],
                               [vi("x", [2], TP().INT8)], [vi("y", [2], TP().INT8)], inits=[w])}


@case
def double_data_short(n):
    h = H()
    w = typed_tensor("w", [4], TP().DOUBLE, "double_data", [1.0, 2.0])
    return {n + ".onnx": model([h.make_node("Add", ["x", "w"], ["y"], name="add")],
                               [vi("x", [4], TP().DOUBLE)], [vi("y", [4], TP().DOUBLE)], inits=[w])}


@case
def attr_tensor_short(n):
    # a Constant node's tensor attribute with too little data: the message names the node
    h = H()
    t = raw_tensor("c", [4], TP().FLOAT, bytes(8))
    return {n + ".onnx": model([h.make_node("Constant", [], ["c"], name="const", value=t),
                                h.make_node("Add", ["x", "c"], ["y"], name="add")],
                               [vi("x", [4])], [vi("y", [4])])}


# ---- dims

@case
def neg_dim_initializer(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [2, -3], TP().FLOAT, b""))}


@case
def neg_dim_input(n):
    h = H()
    x = vi("x", [1, 4])
    x.type.tensor_type.shape.dim[1].dim_value = -4
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [x], [vi("y", [1, 4])])}


@case
def symbolic_dim_input(n):
    return {n + ".onnx": relu_model(x_dims=("batch", 4))}


@case
def no_shape_input(n):
    h = H()
    x = h.make_tensor_value_info("x", TP().FLOAT, None)
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [x], [vi("y", [1, 4])])}


@case
def overflow_dims_initializer(n):
    # 2^32 * 2^32 * 2^32 elements: the count overflows 64 bits
    return {n + ".onnx": add_w_model(raw_tensor("w", [1 << 32, 1 << 32, 1 << 32], TP().FLOAT, b""))}


@case
def overflow_dims_int64_max(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [(1 << 63) - 1, 2], TP().FLOAT, b""))}


@case
def overflow_dims_input(n):
    return {n + ".onnx": relu_model(x_dims=(1 << 31, 1 << 31, 1 << 31))}


@case
def huge_raw_short(n):
    # 2^33 elements (32 GiB) declared, 4 bytes given: reject before allocating
    return {n + ".onnx": add_w_model(raw_tensor("w", [1 << 31, 4], TP().FLOAT, bytes(4)))}


@case
def huge_typed_short(n):
    t = typed_tensor("w", [1 << 20, 1 << 20], TP().FLOAT, "float_data", [1.0])
    return {n + ".onnx": add_w_model(t)}


@case
def rank9_initializer(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [1] * 9, TP().FLOAT, bytes(4)))}


@case
def rank9_input(n):
    return {n + ".onnx": relu_model(x_dims=[1] * 9)}


@case
def rank_huge_initializer(n):
    # 100000 dims of 1: must not be copied into a rank-8 array
    return {n + ".onnx": add_w_model(raw_tensor("w", [1] * 100000, TP().FLOAT, bytes(4)))}


@case
def ok_zero_dim_initializer(n):
    # a zero-sized initializer is legal (exporters write empty roi/scales for Resize)
    h = H()
    e = raw_tensor("empty", [0], TP().FLOAT, b"")
    return {n + ".onnx": model([h.make_node("Concat", ["x", "empty"], ["y"], name="cat", axis=0)],
                               [vi("x", [3])], [vi("y", [3])], inits=[e])}


@case
def ok_zero_dim_input(n):
    # a zero-sized input is legal: ONNX allows empty tensors, kiln compiles a no-op
    return {n + ".onnx": relu_model(x_dims=(0, 4))}


# ---- graph structure

@case
def cycle(n):
    h = H()
    nodes = [h.make_node("Add", ["x", "c"], ["b"], name="first"),
             h.make_node("Relu", ["b"], ["c"], name="second"),
             h.make_node("Relu", ["b"], ["y"], name="out")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


@case
def self_loop(n):
    h = H()
    nodes = [h.make_node("Add", ["x", "y"], ["y"], name="loop")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


@case
def unproduced_input(n):
    h = H()
    nodes = [h.make_node("Add", ["x", "ghost"], ["y"], name="add")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


@case
def unproduced_output(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [4])],
                               [vi("nowhere", [4])])}


@case
def dup_node_output(n):
    h = H()
    nodes = [h.make_node("Relu", ["x"], ["y"], name="a"), h.make_node("Sigmoid", ["x"], ["y"], name="b")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


@case
def output_overwrites_input(n):
    h = H()
    nodes = [h.make_node("Relu", ["x"], ["x"], name="clobber")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("x", [4])])}


@case
def output_overwrites_initializer(n):
    h = H()
    w = H().make_tensor("w", TP().FLOAT, [4], [1.0] * 4)
    nodes = [h.make_node("Relu", ["x"], ["w"], name="clobber"), h.make_node("Add", ["x", "w"], ["y"], name="add")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])], inits=[w])}


@case
def dup_graph_output(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [4])],
                               [vi("y", [4]), vi("y", [4])])}


@case
def dup_initializer(n):
    h = H()
    w = h.make_tensor("w", TP().FLOAT, [2, 3], [1.0] * 6)
    m = add_w_model(w)
    m.graph.initializer.append(w)
    return {n + ".onnx": m}


@case
def no_graph(n):
    return {n + ".onnx": key(1, 0) + varint(8) + opset_bytes(13)}


@case
def no_outputs(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [4])], [])}


@case
def unnamed_initializer(n):
    h = H()
    m = add_w_model(h.make_tensor("w", TP().FLOAT, [2, 3], [1.0] * 6))
    m.graph.initializer.append(h.make_tensor("", TP().FLOAT, [1], [1.0]))
    return {n + ".onnx": m}


@case
def arity_too_many(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x", "x"], ["y"], name="relu2")], [vi("x", [4])],
                               [vi("y", [4])])}


@case
def arity_too_few(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Add", ["x"], ["y"], name="add1")], [vi("x", [4])], [vi("y", [4])])}


@case
def inputs_over_limit(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Concat", ["x"] * 40, ["y"], name="wide", axis=0)],
                               [vi("x", [1])], [vi("y", [40])])}


@case
def shape_mismatch(n):
    h = H()
    nodes = [h.make_node("Add", ["a", "b"], ["y"], name="bad_add")]
    return {n + ".onnx": model(nodes, [vi("a", [2, 3]), vi("b", [4, 5])], [vi("y", [2, 3])])}


@case
def reshape_runtime_shape(n):
    # a shape-determining input that is not a compile-time constant
    h = H()
    nodes = [h.make_node("Reshape", ["x", "s"], ["y"], name="reshape")]
    return {n + ".onnx": model(nodes, [vi("x", [2, 3]), vi("s", [2], TP().INT64)], [vi("y", [3, 2])])}


# ---- dtypes

@case
def unknown_dtype_initializer(n):
    return {n + ".onnx": add_w_model(raw_tensor("w", [2, 3], 99, bytes(24)))}


@case
def unknown_dtype_input(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [4], 99)],
                               [vi("y", [4])])}


@case
def undefined_dtype_input(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [4], 0)],
                               [vi("y", [4])])}


@case
def string_initializer(n):
    h = H()
    w = h.make_tensor("w", TP().STRING, [1], [b"hello"])
    return {n + ".onnx": add_w_model(w)}


@case
def f16_input(n):
    h = H()
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu16")], [vi("x", [4], TP().FLOAT16)],
                               [vi("y", [4], TP().FLOAT16)])}


@case
def sequence_input(n):
    h = H()
    x = h.make_tensor_sequence_value_info("x", TP().FLOAT, [4])
    return {n + ".onnx": model([h.make_node("Relu", ["x"], ["y"], name="relu")], [x], [vi("y", [4])])}


# ---- opsets, ops, attributes

@case
def opset_future(n):
    return {n + ".onnx": relu_model(opset=29)}


@case
def opset_far_future(n):
    return {n + ".onnx": relu_model(opset=1 << 40)}


@case
def opset_zero(n):
    return {n + ".onnx": relu_model(opset=0)}


@case
def opset_only_custom(n):
    return {n + ".onnx": relu_model(opset=None, domains=["com.example"])}


@case
def unsupported_op(n):
    h = H()
    nodes = [h.make_node("Relu", ["x"], ["a"], name="ok"), h.make_node("FrobnicateND", ["a"], ["y"], name="frob")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


@case
def unsupported_domain(n):
    h = H()
    nodes = [h.make_node("Gelu", ["x"], ["y"], name="msgelu", domain="com.microsoft")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])], domains=["com.microsoft"])}


@case
def empty_op_type(n):
    h = H()
    return {n + ".onnx": model([h.make_node("", ["x"], ["y"], name="noop")], [vi("x", [4])], [vi("y", [4])])}


@case
def attr_wrong_type_ints(n):
    # Transpose perm given as a float
    h = H()
    node = h.make_node("Transpose", ["x"], ["y"], name="tr", perm=1.5)
    return {n + ".onnx": model([node], [vi("x", [2, 3])], [vi("y", [3, 2])])}


@case
def attr_wrong_type_float(n):
    # LeakyRelu alpha given as a list of ints
    h = H()
    node = h.make_node("LeakyRelu", ["x"], ["y"], name="lrelu", alpha=[1, 2])
    return {n + ".onnx": model([node], [vi("x", [4])], [vi("y", [4])])}


@case
def attr_wrong_type_string(n):
    # Conv auto_pad given as an int
    h = H()
    w = h.make_tensor("w", TP().FLOAT, [1, 1, 1, 1], [1.0])
    node = h.make_node("Conv", ["x", "w"], ["y"], name="conv", auto_pad=3)
    return {n + ".onnx": model([node], [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 4, 4])], inits=[w])}


@case
def attr_unknown_type(n):
    h = H()
    node = h.make_node("LeakyRelu", ["x"], ["y"], name="lrelu", alpha=0.1)
    b = model([node], [vi("x", [4])], [vi("y", [4])]).SerializeToString()
    # AttributeProto.type (field 20, varint) FLOAT=1 -> 77, patched in the bytes
    # because the onnx package refuses unknown enum values
    assert b.count(key(20, 0) + varint(1)) == 1
    return {n + ".onnx": b.replace(key(20, 0) + varint(1), key(20, 0) + varint(77))}


@case
def attr_subgraph(n):
    h = H()
    then_g = h.make_graph([h.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", [4])])
    else_g = h.make_graph([h.make_node("Sigmoid", ["x"], ["e"])], "else", [], [vi("e", [4])])
    c = h.make_tensor("c", TP().BOOL, [], [True])
    node = h.make_node("If", ["c"], ["y"], name="branch", then_branch=then_g, else_branch=else_g)
    return {n + ".onnx": model([node], [vi("x", [4])], [vi("y", [4])], inits=[c])}


@case
def attr_no_name(n):
    h = H()
    node = h.make_node("LeakyRelu", ["x"], ["y"], name="lrelu", alpha=0.1)
    node.attribute[0].name = ""
    return {n + ".onnx": model([node], [vi("x", [4])], [vi("y", [4])])}


@case
def function_recursion(n):
    # a model-local function that calls itself: inlining must stop
    h = H()
    f = h.make_function("local", "Loopy", ["a"], ["b"], [h.make_node("Loopy", ["a"], ["b"], domain="local")],
                        [h.make_opsetid("", 13)])
    nodes = [h.make_node("Loopy", ["x"], ["y"], name="call", domain="local")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])], functions=[f], domains=["local"])}


def _nested_calls(n, levels, width, name):
    # functions F0..F(levels-1): each calls the next `width` times in a chain, the last is a Relu
    h = H()
    fns = []
    for lvl in range(levels):
        body = []
        if lvl == levels - 1:
            body.append(h.make_node("Relu", ["a"], ["b"]))
        else:
            prev = "a"
            for k in range(width):
                out = "b" if k == width - 1 else "t%d" % k
                body.append(h.make_node("F%d" % (lvl + 1), [prev], [out], domain="local"))
                prev = out
        fns.append(h.make_function("local", "F%d" % lvl, ["a"], ["b"], body, [h.make_opsetid("", 13)]))
    nodes = [h.make_node("F0", ["x"], ["y"], name=name, domain="local")]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])], functions=fns, domains=["local"])}


@case
def function_bomb(n):
    # each function calls the next one 8 times: 8^12 nodes if expanded blindly
    return _nested_calls(n, 12, 8, "bomb")


@case
def function_fanout(n):
    # 8 wide, 7 deep: 8^6 (262144) nodes, within the inlining work budget but far past the
    # node limit (a fuzzer's find: the planning passes, pairwise over nodes, took minutes)
    return _nested_calls(n, 7, 8, "fanout")


# ---- hostile attribute and constant values: each op must refuse them with a message naming
# the node (these run the ops' parse/infer code, and fold constants on the host)

def np_init(name, arr):
    from onnx import numpy_helper
    return numpy_helper.from_array(arr, name)


def one_op(op, inputs, inits=(), x_dims=(1, 2, 4, 4), opset=13, **attrs):
    h = H()
    return model([h.make_node(op, inputs, ["y"], name="n", **attrs)], [vi("x", list(x_dims))],
                 [vi("y", None)], inits=inits, opset=opset)


@case
def op_conv_group0(n):
    import numpy as np
    return {n + ".onnx": one_op("Conv", ["x", "w"], [np_init("w", np.ones((2, 1, 1, 1), np.float32))], group=0)}


@case
def op_conv_stride0(n):
    import numpy as np
    return {n + ".onnx": one_op("Conv", ["x", "w"], [np_init("w", np.ones((2, 2, 1, 1), np.float32))],
                                strides=[0, 0])}


@case
def op_maxpool_kernel0(n):
    return {n + ".onnx": one_op("MaxPool", ["x"], kernel_shape=[0, 0])}


@case
def op_pool_kernel_huge(n):
    return {n + ".onnx": one_op("AveragePool", ["x"], kernel_shape=[1 << 40, 1])}


@case
def op_softmax_axis_min(n):
    return {n + ".onnx": one_op("Softmax", ["x"], axis=-(1 << 63))}


@case
def op_transpose_not_perm(n):
    return {n + ".onnx": one_op("Transpose", ["x"], perm=[0, 0, 1, 1 << 40])}


@case
def op_slice_step0(n):
    import numpy as np
    c = [np_init(k, np.array(v, np.int64)) for k, v in (("s", [0]), ("e", [3]), ("a", [1]), ("p", [0]))]
    return {n + ".onnx": one_op("Slice", ["x", "s", "e", "a", "p"], c)}


@case
def op_gather_index_out_of_range(n):
    # a constant index past the end: caught before the kernel runs (folding or not)
    import numpy as np
    return {n + ".onnx": one_op("Gather", ["x", "i"], [np_init("i", np.array([-(1 << 63)], np.int64))])}


@case
def op_tile_huge(n):
    import numpy as np
    return {n + ".onnx": one_op("Tile", ["x", "r"], [np_init("r", np.array([1, 1, 1 << 40, 1 << 40], np.int64))])}


@case
def op_constant_of_shape_negative(n):
    import numpy as np
    h = H()
    return {n + ".onnx": model([h.make_node("ConstantOfShape", ["s"], ["y"], name="n")], [], [vi("y", None)],
                               inits=[np_init("s", np.array([4, -1], np.int64))])}


@case
def op_range_delta0(n):
    import numpy as np
    h = H()
    c = [np_init(k, np.array(v, np.float32)) for k, v in (("s", 0), ("l", 10), ("d", 0))]
    return {n + ".onnx": model([h.make_node("Range", ["s", "l", "d"], ["y"], name="n")], [], [vi("y", None)],
                               inits=c, opset=11)}


@case
def op_resize_scale_nan(n):
    import numpy as np
    return {n + ".onnx": one_op("Resize", ["x", "", "sc"], [np_init("sc", np.array([1, 1, np.nan, 1], np.float32))])}


@case
def op_topk_k_huge(n):
    import numpy as np
    h = H()
    node = h.make_node("TopK", ["x", "k"], ["y", "i"], name="n", axis=1)
    return {n + ".onnx": model([node], [vi("x", [2, 3])], [vi("y", None), vi("i", None, TP().INT64)],
                               inits=[np_init("k", np.array([1 << 62], np.int64))])}


@case
def op_unsqueeze_rank9(n):
    import numpy as np
    return {n + ".onnx": one_op("Unsqueeze", ["x", "a"], [np_init("a", np.arange(5, dtype=np.int64))])}


@case
def op_cast_unknown_type(n):
    return {n + ".onnx": one_op("Cast", ["x"], to=999)}


@case
def op_unsupported_unnamed(n):
    # an unnamed node is called OP_INDEX in messages, as everywhere else
    h = H()
    nodes = [h.make_node("Relu", ["x"], ["a"]), h.make_node("QuantumFourier", ["a"], ["y"])]
    return {n + ".onnx": model(nodes, [vi("x", [4])], [vi("y", [4])])}


# ---- external data

def ext_model(n, entries, dims=(2, 3), files=None, elem=None):
    w = ext_tensor("w", list(dims), TP().FLOAT if elem is None else elem, entries)
    out = {n + ".onnx": add_w_model(w)}
    out.update(files or {})
    return out


@case
def ext_parent_dir(n):
    return ext_model(n, {"location": "../outside.bin"})


@case
def ext_parent_inside(n):
    # "sub/../w.bin" stays inside, but ".." is refused outright
    return ext_model(n, {"location": "sub/../w.bin"}, files={"w.bin": bytes(24)})


@case
def ext_absolute(n):
    return ext_model(n, {"location": "/etc/passwd"})


@case
def ext_symlink_out(n):
    return ext_model(n, {"location": "link.bin"}, files={"link.bin": ("symlink", "../outside.bin")})


@case
def ext_symlink_dir_out(n):
    # d -> .. : d/outside.bin resolves to the file next to the case folder
    return ext_model(n, {"location": "d/outside.bin"}, files={"d": ("symlink", "..")})


@case
def ext_missing(n):
    return ext_model(n, {"location": "nope.bin"})


@case
def ext_no_location(n):
    return ext_model(n, {"length": "24"})


@case
def ext_empty_location(n):
    return ext_model(n, {"location": ""})


@case
def ext_short(n):
    return ext_model(n, {"location": "w.bin"}, files={"w.bin": bytes(20)})


@case
def ext_offset_past_end(n):
    return ext_model(n, {"location": "w.bin", "offset": "100"}, files={"w.bin": bytes(24)})


@case
def ext_offset_short(n):
    return ext_model(n, {"location": "w.bin", "offset": "8"}, files={"w.bin": bytes(24)})


@case
def ext_length_mismatch(n):
    return ext_model(n, {"location": "w.bin", "length": "16"}, files={"w.bin": bytes(24)})


@case
def ext_bad_offset(n):
    return ext_model(n, {"location": "w.bin", "offset": "-8"}, files={"w.bin": bytes(24)})


@case
def ext_bad_length(n):
    return ext_model(n, {"location": "w.bin", "length": "12abc"}, files={"w.bin": bytes(24)})


@case
def ext_directory(n):
    return ext_model(n, {"location": "sub"}, files={"sub/keep.bin": b"x"})


@case
def ext_huge_tensor(n):
    # a 3 GiB tensor (805306368 floats) stated in dims and length over a 24-byte file
    return ext_model(n, {"location": "w.bin", "length": str(3 << 30)}, dims=(805306368,),
                     files={"w.bin": bytes(24)})


@case
def ext_huge_sparse(n):
    # the same 3 GiB tensor over a sparse 3 GiB file (no disk blocks): the data is
    # all there, so kiln must fail allocating it (the runner's 2 GiB limit) and say so
    return ext_model(n, {"location": "w.bin", "length": str(3 << 30)}, dims=(805306368,),
                     files={"w.bin": ("sparse", 3 << 30)})


@case
def ext_huge_offset(n):
    return ext_model(n, {"location": "w.bin", "offset": str((1 << 63) - 8)}, files={"w.bin": bytes(24)})


@case
def ok_ext_data(n):
    # the legal form, for contrast: w.bin holds the 6 floats at offset 16
    import struct as st
    return ext_model(n, {"location": "w.bin", "offset": "16", "length": "24"},
                     files={"w.bin": bytes(16) + st.pack("<6f", 1, 2, 3, 4, 5, 6)})


# ---- text graphs (.kg) beyond tests/text/err_*.kg, which the runner also uses

KG_HEAD = "kg 1\ngraph t\nopset 13\n"


@case
def kg_binary(n):
    return {n + ".kg": b"kg 1\n\x00\x01\x02\xff\xfe garbage\n"}


@case
def kg_cycle(n):
    # names are defined before use, so a cycle shows up as an undefined value
    return {n + ".kg": (KG_HEAD + "input x: f32[4]\nnode a: Add(x, c) -> (b)\nnode r: Relu(b) -> (c)\n"
                        "output c\n").encode()}


@case
def kg_long_line(n):
    return {n + ".kg": (KG_HEAD + "input " + "x" * 100000 + ": f32[4]\n").encode()}


@case
def kg_huge_number(n):
    return {n + ".kg": (KG_HEAD + "input x: f32[99999999999999999999999]\n").encode()}


@case
def kg_overflow_shape(n):
    return {n + ".kg": (KG_HEAD + "input x: f32[4294967296,4294967296,4294967296]\n").encode()}


@case
def kg_opset_future(n):
    return {n + ".kg": b"kg 1\ngraph t\nopset 29\ninput x: f32[4]\nnode r: Relu(x) -> (y)\noutput y\n"}


@case
def kg_wrong_attr_type(n):
    return {n + ".kg": (KG_HEAD + "input x: f32[2,3]\nnode tr: Transpose(x) -> (y) perm=1.5\n"
                        "output y\n").encode()}


@case
def kg_unterminated_list(n):
    return {n + ".kg": (KG_HEAD + "input x: f32[2,3]\nconst c: f32[2] = [1, 2\n").encode()}


# ================================================================= writer

def write_case(root, name):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for fname, content in CASES[name](name).items():
        p = os.path.join(d, fname)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(content[1], p)
        elif isinstance(content, tuple) and content[0] == "sparse":
            with open(p, "wb") as f:
                f.truncate(content[1])
        elif isinstance(content, bytes):
            with open(p, "wb") as f:
                f.write(content)
        else:
            with open(p, "wb") as f:
                f.write(content.SerializeToString())
    return d


def model_file(root, name):
    d = os.path.join(root, name)
    for ext in (".kg", ".onnx"):
        if os.path.exists(os.path.join(d, name + ext)) or ext == ".onnx":
            return os.path.join(d, name + ext)


def write(root, names=None):
    """Writes every case (or those named) under root; returns the case names."""
    os.makedirs(root, exist_ok=True)
    # the file the escaping cases point at: it exists, so only confinement stops them
    with open(os.path.join(root, "outside.bin"), "wb") as f:
        f.write(bytes(64))
    todo = [n for n in CASES if not names or n in names]
    for n in todo:
        write_case(root, n)
    return todo


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: make_corpus.py OUTDIR [CASE...]")
    for name in write(sys.argv[1], sys.argv[2:]):
        print(name)
