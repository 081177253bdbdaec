#!/usr/bin/env python3
"""make_models.py - the end-to-end test models, built with onnx.helper.

Small networks, one per architecture the book's chapters cover, with seeded
random weights (numpy default_rng(seed); He-normal initialization, BatchNorm
statistics near identity) so activations keep a realistic scale through the
whole network. They are written at test time into the build directory (no
.onnx file is committed) and compared with onnxruntime by run_models.py.

  * classification CNNs: LeNet-5, AlexNet, VGG, Inception, ResNet-18, a
    ResNet-50 stage, Xception, an SE block, MobileNetV2, a Fashion-MNIST CNN,
    ConvNeXt, EfficientNet-B0, DenseNet, ResNeXt;
  * dense prediction: U-Net, FCN-8s, DeepLabV3 (ASPP);
  * detection heads ending in NonMaxSuppression: YOLO-style, SSD-style;
  * a diffusion U-Net block (GroupNorm, timestep embedding, self-attention).

The graphs use the idioms the PyTorch exporter writes: Conv without bias
before BatchNormalization, Flatten before the classifier, a
Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain for x.view(x.size(0), -1),
Constant nodes for Clip bounds, Identity and Dropout nodes, nn.Linear on a
3-D tensor as MatMul + Add, SiLU as x * Sigmoid(x), GELU in its Erf form,
LayerNorm over channels spelled out with ReduceMean / Pow / Sqrt, and
F.interpolate as Resize with sizes from Shape -> Slice -> Concat.

FEEDS names the inputs that are not standard-normal float32 (run_models.py
draws every other input from a seeded standard normal).

    python3 make_models.py OUTDIR [NAME...]   writes OUTDIR/NAME.onnx
"""

import os
import sys

import numpy as np

OPSET = 13


class Net:
    """Graph under construction. Tracks each value's shape (NCHW or NC) so
    layers can size their weights; every helper returns its output name."""

    def __init__(self, name, seed, opset=OPSET):
        from onnx import helper  # noqa: F401 - fail early when onnx is missing
        self.name = name
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.inputs = [], [], []
        self.shape = {}
        self.dtype = {}       # non-float values only (name -> TensorProto code)
        self.count = {}

    # ---- plumbing
    def uniq(self, base):
        k = self.count.get(base, 0)
        self.count[base] = k + 1
        return "%s_%d" % (base, k) if k else base

    def input(self, name, shape, dtype=None):
        from onnx import TensorProto, helper
        dtype = dtype or TensorProto.FLOAT
        self.inputs.append(helper.make_tensor_value_info(name, dtype, list(shape)))
        self.shape[name] = tuple(shape)
        self.dtype[name] = dtype
        return name

    def init(self, base, array):
        from onnx import numpy_helper
        name = self.uniq(base)
        array = np.asarray(array)
        self.inits.append(numpy_helper.from_array(array, name))
        self.shape[name] = array.shape
        return name

    def node(self, op, inputs, shape, base=None, dtype=None, **attrs):
        from onnx import helper
        name = self.uniq(base or op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [name], name=name, **attrs))
        self.shape[name] = tuple(shape) if shape is not None else None
        if dtype is not None:
            self.dtype[name] = dtype
        return name

    def const(self, base, array):
        """A Constant node (the exporter's way of writing small tensors)."""
        from onnx import helper, numpy_helper
        name = self.uniq(base)
        array = np.asarray(array)
        self.nodes.append(helper.make_node("Constant", [], [name], name=name,
                                           value=numpy_helper.from_array(array, name)))
        self.shape[name] = array.shape
        return name

    def f32(self, base, value):
        return self.const(base, np.array(value, np.float32))

    def i64(self, base, values):
        return self.const(base, np.array(values, np.int64))

    def he(self, shape, fan_in, gain=2.0):
        return (self.rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)

    # ---- layers
    def conv(self, x, cout, k, stride=1, pad=None, group=1, bias=True, dilation=1, gain=2.0, bias_shift=0.0,
             base="conv"):
        n, cin, h, w = self.shape[x]
        pad = (k // 2) * dilation if pad is None else pad
        wt = self.init(base + ".weight", self.he((cout, cin // group, k, k), cin // group * k * k, gain))
        ins = [x, wt]
        if bias:
            b = self.rng.standard_normal(cout) * 0.05 + bias_shift
            ins.append(self.init(base + ".bias", b.astype(np.float32)))
        ek = dilation * (k - 1) + 1
        oh = (h + 2 * pad - ek) // stride + 1
        ow = (w + 2 * pad - ek) // stride + 1
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)
        if group != 1:
            attrs["group"] = group
        if dilation != 1:
            attrs["dilations"] = [dilation, dilation]
        return self.node("Conv", ins, (n, cout, oh, ow), base, **attrs)

    def bn(self, x, base="bn"):
        c = self.shape[x][1]
        r = self.rng
        p = [self.init(base + ".weight", r.uniform(0.8, 1.2, c).astype(np.float32)),
             self.init(base + ".bias", r.uniform(-0.1, 0.1, c).astype(np.float32)),
             self.init(base + ".running_mean", r.uniform(-0.1, 0.1, c).astype(np.float32)),
             self.init(base + ".running_var", r.uniform(0.8, 1.2, c).astype(np.float32))]
        return self.node("BatchNormalization", [x] + p, self.shape[x], base, epsilon=1e-5, momentum=0.9)

    def act(self, op, x, **attrs):
        return self.node(op, [x], self.shape[x], **attrs)

    def relu(self, x):
        return self.act("Relu", x)

    def relu6(self, x, lo=None, hi=None):
        """Clip(x, 0, 6), bounds from Constant nodes unless given."""
        lo = lo or self.const("clip_min", np.array(0.0, np.float32))
        hi = hi or self.const("clip_max", np.array(6.0, np.float32))
        return self.node("Clip", [x, lo, hi], self.shape[x])

    def pool(self, op, x, k, stride, pad=0, ceil=0):
        n, c, h, w = self.shape[x]
        rnd = (lambda a: -(-a // stride)) if ceil else (lambda a: a // stride)
        oh, ow = rnd(h + 2 * pad - k) + 1, rnd(w + 2 * pad - k) + 1
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride])
        if pad:
            attrs["pads"] = [pad] * 4
        if ceil:
            attrs["ceil_mode"] = 1
        return self.node(op, [x], (n, c, oh, ow), **attrs)

    def gap(self, x):
        n, c = self.shape[x][:2]
        return self.node("GlobalAveragePool", [x], (n, c, 1, 1))

    def flatten(self, x):
        s = self.shape[x]
        return self.node("Flatten", [x], (s[0], int(np.prod(s[1:]))), axis=1)

    def view_flat(self, x):
        """x.view(x.size(0), -1) as torch.onnx exports it."""
        s = self.shape[x]
        shp = self.node("Shape", [x], (len(s),))
        idx = self.const("gather_index", np.array(0, np.int64))
        n = self.node("Gather", [shp, idx], (), axis=0)
        ax = self.const("unsqueeze_axes", np.array([0], np.int64))
        n1 = self.node("Unsqueeze", [n, ax], (1,))
        m1 = self.const("minus_one", np.array([-1], np.int64))
        cat = self.node("Concat", [n1, m1], (2,), axis=0)
        return self.node("Reshape", [x, cat], (s[0], int(np.prod(s[1:]))))

    def gemm(self, x, nout, gain=2.0, base="fc"):
        n, nin = self.shape[x]
        w = self.init(base + ".weight", self.he((nout, nin), nin, gain))
        b = self.init(base + ".bias", (self.rng.standard_normal(nout) * 0.05).astype(np.float32))
        return self.node("Gemm", [x, w, b], (n, nout), base, alpha=1.0, beta=1.0, transB=1)

    def dropout(self, x, ratio=0.5):
        if self.opset >= 12:
            r = self.const("dropout_ratio", np.array(ratio, np.float32))
            return self.node("Dropout", [x, r], self.shape[x])
        return self.node("Dropout", [x], self.shape[x], ratio=ratio)

    def add(self, a, b):
        return self.node("Add", [a, b], self.shape[a])

    def concat(self, xs, axis=1):
        s = list(self.shape[xs[0]])
        axis %= len(s)
        s[axis] = sum(self.shape[x][axis] for x in xs)
        return self.node("Concat", xs, s, axis=axis)

    def softmax(self, x, axis=1):
        return self.node("Softmax", [x], self.shape[x], axis=axis)

    # ---- tensor plumbing and the exporter's decompositions
    def binary(self, op, a, b):
        """Elementwise op with numpy broadcasting; b may be a Python float
        (written as a scalar Constant, as the exporter does)."""
        if not isinstance(b, str):
            b = self.f32(op.lower() + "_const", b)
        shape = np.broadcast_shapes(self.shape[a], self.shape[b])
        return self.node(op, [a, b], shape)

    def mul(self, a, b):
        return self.binary("Mul", a, b)

    def transpose(self, x, perm):
        return self.node("Transpose", [x], [self.shape[x][p] for p in perm], perm=list(perm))

    def reshape(self, x, shape):
        shape = list(shape)
        out = list(shape)
        if -1 in out:
            out[out.index(-1)] = int(np.prod(self.shape[x]) // -np.prod(out))
        return self.node("Reshape", [x, self.i64("reshape_shape", shape)], out)

    def unsqueeze(self, x, axes):
        s = list(self.shape[x])
        for a in sorted(axes):
            s.insert(a, 1)
        return self.node("Unsqueeze", [x, self.i64("unsqueeze_axes", list(axes))], s)

    def slice(self, x, axis, start, end):
        s = list(self.shape[x])
        axis %= len(s)
        s[axis] = len(range(*slice(start, end).indices(s[axis])))
        ins = [x, self.i64("slice_starts", [start]), self.i64("slice_ends", [end]),
               self.i64("slice_axes", [axis])]
        return self.node("Slice", ins, s)

    def split(self, x, sizes, axis):
        """Split into len(sizes) outputs (opset 13+: sizes as an input)."""
        from onnx import helper
        base = self.uniq("split")
        axis %= len(self.shape[x])
        outs = ["%s_out%d" % (base, k) for k in range(len(sizes))]
        self.nodes.append(helper.make_node("Split", [x, self.i64("split_sizes", sizes)], outs,
                                           name=base, axis=axis))
        for o, n in zip(outs, sizes):
            s = list(self.shape[x])
            s[axis] = n
            self.shape[o] = tuple(s)
        return outs

    def linear(self, x, nout, gain=1.0, bias=True, base="linear"):
        """nn.Linear on a tensor of rank > 2: MatMul with the transposed
        weight as an initializer, then Add of the bias."""
        nin = self.shape[x][-1]
        w = self.init(base + ".weight", self.he((nin, nout), nin, gain))
        y = self.node("MatMul", [x, w], self.shape[x][:-1] + (nout,), base + "/MatMul")
        if not bias:
            return y
        b = self.init(base + ".bias", (self.rng.standard_normal(nout) * 0.02).astype(np.float32))
        return self.node("Add", [y, b], self.shape[y], base + "/Add")

    def silu(self, x):
        """nn.SiLU as the exporter writes it before opset 24: x * Sigmoid(x)."""
        return self.mul(x, self.act("Sigmoid", x))

    def gelu_erf(self, x):
        """nn.GELU() (exact) at opset < 20: x * 0.5 * (1 + erf(x / sqrt 2))."""
        e = self.act("Erf", self.binary("Div", x, 1.4142135381698608))
        return self.mul(self.mul(x, self.binary("Add", e, 1.0)), 0.5)

    def layernorm(self, x, eps=1e-6, base="norm"):
        """nn.LayerNorm over the last axis: one LayerNormalization node."""
        c = self.shape[x][-1]
        w = self.init(base + ".weight", self.rng.uniform(0.8, 1.2, c).astype(np.float32))
        b = self.init(base + ".bias", self.rng.uniform(-0.1, 0.1, c).astype(np.float32))
        return self.node("LayerNormalization", [x, w, b], self.shape[x], base, axis=-1, epsilon=eps)

    def layernorm_cf(self, x, eps=1e-6, base="norm"):
        """ConvNeXt's channels-first LayerNorm written out in torch ops
        (mean over dim 1, (x - u)^2 mean, / sqrt(s + eps), per-channel affine)."""
        c = self.shape[x][1]
        u = self.node("ReduceMean", [x], (self.shape[x][0], 1) + self.shape[x][2:], axes=[1], keepdims=1)
        d = self.binary("Sub", x, u)
        var = self.node("ReduceMean", [self.binary("Pow", d, 2.0)], self.shape[u], axes=[1], keepdims=1)
        y = self.binary("Div", d, self.act("Sqrt", self.binary("Add", var, eps)))
        w = self.init(base + ".weight", self.rng.uniform(0.8, 1.2, (c, 1, 1)).astype(np.float32))
        b = self.init(base + ".bias", self.rng.uniform(-0.1, 0.1, (c, 1, 1)).astype(np.float32))
        return self.binary("Add", self.mul(y, w), b)

    def groupnorm(self, x, groups=32, eps=1e-5, base="norm"):
        """nn.GroupNorm as GroupNormalization-21 (per-channel scale and bias)."""
        c = self.shape[x][1]
        w = self.init(base + ".weight", self.rng.uniform(0.8, 1.2, c).astype(np.float32))
        b = self.init(base + ".bias", self.rng.uniform(-0.1, 0.1, c).astype(np.float32))
        return self.node("GroupNormalization", [x, w, b], self.shape[x], base,
                         num_groups=groups, epsilon=eps)

    def conv_t(self, x, cout, k, stride, pad=0, bias=True, weight=None, base="convt"):
        """ConvTranspose (weight [cin, cout, k, k]); He scale with the fan-in
        one output pixel sees, cin * (k / stride)^2."""
        n, cin, h, w = self.shape[x]
        if weight is None:
            weight = self.he((cin, cout, k, k), cin * (k / stride) ** 2)
        ins = [x, self.init(base + ".weight", weight)]
        if bias:
            ins.append(self.init(base + ".bias", (self.rng.standard_normal(cout) * 0.05).astype(np.float32)))
        oh, ow = (h - 1) * stride - 2 * pad + k, (w - 1) * stride - 2 * pad + k
        return self.node("ConvTranspose", ins, (n, cout, oh, ow), base, kernel_shape=[k, k],
                         strides=[stride, stride], pads=[pad] * 4)

    def interpolate(self, x, size, mode="linear", ctm="pytorch_half_pixel"):
        """F.interpolate(x, size=size, ...): Resize with `sizes` built from
        x.shape[:2] (Shape -> Slice) and the requested (h, w)."""
        s = self.shape[x]
        shp = self.node("Shape", [x], (len(s),))
        nc = self.node("Slice", [shp, self.i64("slice_starts", [0]), self.i64("slice_ends", [2]),
                                 self.i64("slice_axes", [0])], (2,))
        sizes = self.node("Concat", [nc, self.i64("resize_hw", list(size))], (4,), axis=0)
        return self.node("Resize", [x, "", "", sizes], s[:2] + tuple(size), mode=mode,
                         coordinate_transformation_mode=ctm, nearest_mode="floor")

    def upsample2(self, x):
        """nn.Upsample(scale_factor=2, mode='nearest'): Resize with scales."""
        n, c, h, w = self.shape[x]
        scales = self.const("resize_scales", np.array([1, 1, 2, 2], np.float32))
        return self.node("Resize", [x, "", scales], (n, c, 2 * h, 2 * w), mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    def nms(self, boxes, scores, max_per_class, iou, score, center=0):
        """NonMaxSuppression; selected_indices [K, 3] int64, K known only at run time."""
        from onnx import TensorProto
        ins = [boxes, scores, self.i64("max_output_boxes_per_class", [max_per_class]),
               self.const("iou_threshold", np.array([iou], np.float32)),
               self.const("score_threshold", np.array([score], np.float32))]
        attrs = {"center_point_box": center} if center else {}
        return self.node("NonMaxSuppression", ins, (None, 3), dtype=TensorProto.INT64, **attrs)

    def model(self, outputs):
        """The checked ModelProto. Outputs whose extent depends on the data
        (NonMaxSuppression's) are declared with a symbolic dimension."""
        import onnx
        from onnx import TensorProto, helper
        outs = [helper.make_tensor_value_info(o, self.dtype.get(o, TensorProto.FLOAT),
                                              [d if d is not None else "n_%s" % o for d in self.shape[o]])
                for o in outputs]
        g = helper.make_graph(self.nodes, self.name, self.inputs, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="kiln-tests")
        # the oldest IR version that allows the opset (onnx/docs/Versioning.md)
        m.ir_version = 8 if self.opset <= 18 else 9 if self.opset <= 20 else 10
        onnx.checker.check_model(m, full_check=True)
        return m


# ------------------------------------------------------------------ models

def lenet5():
    """LeNet-5: 5x5 convs, tanh, average pooling, three fully connected layers."""
    g = Net("lenet5", 5, opset=17)
    x = g.input("input", (1, 1, 32, 32))
    x = g.act("Tanh", g.conv(x, 6, 5, pad=0, base="c1"))
    x = g.pool("AveragePool", x, 2, 2)
    x = g.act("Tanh", g.conv(x, 16, 5, pad=0, base="c3"))
    x = g.pool("AveragePool", x, 2, 2)
    x = g.flatten(x)
    x = g.act("Tanh", g.gemm(x, 120, gain=1.0, base="f5"))
    x = g.act("Tanh", g.gemm(x, 84, gain=1.0, base="f6"))
    x = g.softmax(g.gemm(x, 10, gain=1.0, base="f7"))
    return g.model([x])


def alexnet():
    """AlexNet-style: 11x11 stride-4 conv, LRN, overlapping max pooling,
    dropout, and x.view(x.size(0), -1) before the classifier."""
    g = Net("alexnet", 11)
    x = g.input("input", (1, 3, 127, 127))
    x = g.relu(g.conv(x, 64, 11, stride=4, pad=2, base="features.0"))
    x = g.node("LRN", [x], g.shape[x], size=5, alpha=1e-4, beta=0.75, bias=2.0)
    x = g.pool("MaxPool", x, 3, 2)
    x = g.relu(g.conv(x, 192, 5, pad=2, base="features.4"))
    x = g.node("LRN", [x], g.shape[x], size=5, alpha=1e-4, beta=0.75, bias=2.0)
    x = g.pool("MaxPool", x, 3, 2)
    x = g.relu(g.conv(x, 384, 3, base="features.8"))
    x = g.relu(g.conv(x, 256, 3, base="features.10"))
    x = g.relu(g.conv(x, 256, 3, base="features.12"))
    x = g.pool("MaxPool", x, 3, 2)
    x = g.view_flat(x)
    x = g.relu(g.gemm(g.dropout(x), 1024, base="classifier.1"))
    x = g.relu(g.gemm(g.dropout(x), 1024, base="classifier.4"))
    x = g.gemm(x, 10, gain=1.0, base="classifier.6")
    return g.model([x])


def vgg():
    """VGG-style (CIFAR-sized): stacks of 3x3 conv + ReLU, 2x2 max pooling."""
    g = Net("vgg", 16)
    x = g.input("input", (1, 3, 32, 32))
    i = 0
    for v in (32, 32, "M", 64, 64, "M", 128, 128, 128, "M", 256, 256, 256, "M"):
        if v == "M":
            x = g.pool("MaxPool", x, 2, 2)
        else:
            x = g.relu(g.conv(x, v, 3, base="features.%d" % i))
        i += 1
    x = g.flatten(x)
    x = g.dropout(g.relu(g.gemm(x, 256, base="classifier.0")))
    x = g.gemm(x, 10, gain=1.0, base="classifier.3")
    return g.model([x])


def _inception(g, x, c1, c3r, c3, c5r, c5, pp, base):
    b1 = g.relu(g.conv(x, c1, 1, base=base + ".b1"))
    b2 = g.relu(g.conv(g.relu(g.conv(x, c3r, 1, base=base + ".b2r")), c3, 3, base=base + ".b2"))
    b3 = g.relu(g.conv(g.relu(g.conv(x, c5r, 1, base=base + ".b3r")), c5, 5, base=base + ".b3"))
    b4 = g.relu(g.conv(g.pool("MaxPool", x, 3, 1, pad=1), pp, 1, base=base + ".b4"))
    return g.concat([b1, b2, b3, b4])


def inception():
    """A GoogLeNet stem and two inception blocks (1x1 / 3x3 / 5x5 / pool
    branches joined by Concat), global average pooling, classifier."""
    g = Net("inception", 22)
    x = g.input("input", (1, 3, 56, 56))
    x = g.relu(g.conv(x, 64, 3, stride=2, base="stem"))
    x = _inception(g, x, 64, 96, 128, 16, 32, 32, "inception3a")
    x = _inception(g, x, 128, 128, 192, 32, 96, 64, "inception3b")
    x = g.pool("MaxPool", x, 3, 2, pad=1, ceil=1)
    x = g.flatten(g.gap(x))
    x = g.softmax(g.gemm(g.dropout(x, 0.4), 10, gain=1.0, base="fc"))
    return g.model([x])


def _basic_block(g, x, cout, stride, base):
    y = g.relu(g.bn(g.conv(x, cout, 3, stride=stride, bias=False, base=base + ".conv1"), base + ".bn1"))
    y = g.bn(g.conv(y, cout, 3, bias=False, base=base + ".conv2"), base + ".bn2")
    if stride != 1 or g.shape[x][1] != cout:
        x = g.bn(g.conv(x, cout, 1, stride=stride, pad=0, bias=False, base=base + ".downsample.0"),
                 base + ".downsample.1")
    return g.relu(g.add(y, x))


def resnet18(size=224):
    """ResNet-18 as torchvision defines it, exported at input size x size."""
    g = Net("resnet18", 18)
    x = g.input("input", (1, 3, size, size))
    x = g.relu(g.bn(g.conv(x, 64, 7, stride=2, pad=3, bias=False, base="conv1"), "bn1"))
    x = g.pool("MaxPool", x, 3, 2, pad=1)
    for li, (c, s) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
        x = _basic_block(g, x, c, s, "layer%d.0" % li)
        x = _basic_block(g, x, c, 1, "layer%d.1" % li)
    x = g.flatten(g.gap(x))
    x = g.gemm(x, 1000, gain=1.0, base="fc")
    return g.model([x])


def _bottleneck(g, x, width, stride, base):
    out = width * 4
    y = g.relu(g.bn(g.conv(x, width, 1, pad=0, bias=False, base=base + ".conv1"), base + ".bn1"))
    y = g.relu(g.bn(g.conv(y, width, 3, stride=stride, bias=False, base=base + ".conv2"), base + ".bn2"))
    y = g.bn(g.conv(y, out, 1, pad=0, bias=False, base=base + ".conv3"), base + ".bn3")
    if stride != 1 or g.shape[x][1] != out:
        x = g.bn(g.conv(x, out, 1, stride=stride, pad=0, bias=False, base=base + ".downsample.0"),
                 base + ".downsample.1")
    return g.relu(g.add(y, x))


def resnet50_stage():
    """ResNet-50's layer1 (three bottleneck blocks, projection shortcut on
    the first) on a 28x28 feature map; the stage output is the model output."""
    g = Net("resnet50_stage", 50)
    x = g.input("input", (1, 64, 28, 28))
    for b in range(3):
        x = _bottleneck(g, x, 64, 1, "layer1.%d" % b)
    return g.model([x])


def _separable(g, x, cout, base):
    c = g.shape[x][1]
    y = g.conv(x, c, 3, group=c, bias=False, base=base + ".depthwise")
    return g.conv(y, cout, 1, pad=0, bias=False, base=base + ".pointwise")


def xception():
    """Xception entry flow: separable convolutions (depthwise 3x3 + pointwise
    1x1) with BN, max pooling and strided 1x1 residual projections; the head
    pools with an AveragePool whose window is the whole plane (how Caffe2's
    ResNet-50 export writes a global average)."""
    g = Net("xception", 29)
    x = g.input("input", (1, 3, 64, 64))
    x = g.relu(g.bn(g.conv(x, 32, 3, stride=2, pad=0, bias=False, base="conv1"), "bn1"))
    x = g.relu(g.bn(g.conv(x, 64, 3, pad=0, bias=False, base="conv2"), "bn2"))
    for i, c in enumerate((128, 256, 728)):
        base = "block%d" % (i + 1)
        skip = g.bn(g.conv(x, c, 1, stride=2, pad=0, bias=False, base=base + ".skip"), base + ".skipbn")
        y = g.relu(x) if i else x
        y = g.bn(_separable(g, y, c, base + ".sep1"), base + ".bn1")
        y = g.bn(_separable(g, g.relu(y), c, base + ".sep2"), base + ".bn2")
        y = g.pool("MaxPool", y, 3, 2, pad=1)
        x = g.add(y, skip)
    x = g.flatten(g.pool("AveragePool", g.relu(x), g.shape[x][2], 1))
    x = g.gemm(x, 10, gain=1.0, base="fc")
    return g.model([x])


def se_block():
    """A residual block with squeeze-and-excitation: GlobalAveragePool ->
    Gemm -> ReLU -> Gemm -> Sigmoid, the channel weights broadcast back by Mul."""
    g = Net("se_block", 7)
    x = g.input("input", (1, 64, 16, 16))
    y = g.relu(g.bn(g.conv(x, 64, 3, bias=False, base="conv1"), "bn1"))
    y = g.bn(g.conv(y, 64, 3, bias=False, base="conv2"), "bn2")
    s = g.flatten(g.gap(y))
    s = g.relu(g.gemm(s, 16, base="se.fc1"))
    s = g.act("Sigmoid", g.gemm(s, 64, gain=1.0, base="se.fc2"))
    axes = g.const("se_axes", np.array([2, 3], np.int64))
    s = g.node("Unsqueeze", [s, axes], (1, 64, 1, 1))
    y = g.node("Mul", [y, s], g.shape[y])
    return g.model([g.relu(g.add(y, x))])


def dw_multiplier():
    """Depthwise convolutions with a channel multiplier, as tf2onnx writes
    Keras' DepthwiseConv2D(depth_multiplier=k): group = C with k * C
    outputs (3x3 stride 1 with k = 2, 5x5 stride 2 with k = 3), after a
    grayscale stem (8<-1 3x3, a one-channel input)."""
    g = Net("dw_multiplier", 31)
    x = g.input("input", (1, 1, 40, 40))
    x = g.relu(g.conv(x, 8, 3, base="stem"))
    x = g.relu6(g.bn(g.conv(x, 16, 3, group=8, bias=False, base="dw1"), "bn1"))
    x = g.conv(x, 24, 1, pad=0, base="pw1")
    x = g.act("Sigmoid", g.conv(x, 72, 5, stride=2, group=24, base="dw2"))
    return g.model([g.conv(x, 32, 1, pad=0, base="pw2")])


def mobilenetv2():
    """MobileNetV2 (width 1.0, first four stages): inverted residual blocks,
    depthwise 3x3, ReLU6 as Clip(0, 6), linear bottlenecks."""
    g = Net("mobilenetv2", 2)
    x = g.input("input", (1, 3, 96, 96))
    lo = g.init("relu6_min", np.array(0.0, np.float32))   # shared initializer bounds
    hi = g.init("relu6_max", np.array(6.0, np.float32))
    x = g.relu6(g.bn(g.conv(x, 32, 3, stride=2, bias=False, base="features.0.0"), "features.0.1"), lo, hi)
    idx = 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 2, 2)):
        for i in range(n):
            base = "features.%d" % idx
            cin = g.shape[x][1]
            y = x
            if t != 1:
                y = g.relu6(g.bn(g.conv(y, cin * t, 1, pad=0, bias=False, base=base + ".expand"),
                                 base + ".expand_bn"))
            hid = g.shape[y][1]
            stride = s if i == 0 else 1
            y = g.relu6(g.bn(g.conv(y, hid, 3, stride=stride, group=hid, bias=False,
                                    base=base + ".dw"), base + ".dw_bn"), lo, hi)
            y = g.bn(g.conv(y, c, 1, pad=0, bias=False, base=base + ".project"), base + ".project_bn")
            x = g.add(x, y) if stride == 1 and cin == c else y
            idx += 1
    x = g.relu6(g.bn(g.conv(x, 320, 1, pad=0, bias=False, base="features.last"), "features.last_bn"))
    x = g.node("Identity", [g.gap(x)], (1, 320, 1, 1))
    x = g.flatten(x)
    x = g.gemm(g.dropout(x, 0.2), 10, gain=1.0, base="classifier.1")
    return g.model([x])


def fashion_cnn():
    """A Fashion-MNIST CNN: (conv-bn-relu-maxpool) x 2, dropout, flatten,
    two fully connected layers, softmax."""
    g = Net("fashion_cnn", 28, opset=17)
    x = g.input("input", (1, 1, 28, 28))
    x = g.pool("MaxPool", g.relu(g.bn(g.conv(x, 32, 3, base="layer1.0"), "layer1.1")), 2, 2)
    x = g.pool("MaxPool", g.relu(g.bn(g.conv(x, 64, 3, base="layer2.0"), "layer2.1")), 2, 2)
    x = g.flatten(g.dropout(x, 0.25))
    x = g.dropout(g.relu(g.gemm(x, 128, base="fc1")), 0.5)
    x = g.softmax(g.gemm(x, 10, gain=1.0, base="fc2"))
    return g.model([x])


def _convnext_block(g, x, base):
    """ConvNeXt block: 7x7 depthwise conv, permute to NHWC, LayerNorm,
    Linear 4x, GELU, Linear back, layer scale gamma, permute back, residual."""
    c = g.shape[x][1]
    y = g.conv(x, c, 7, group=c, base=base + ".dwconv")
    y = g.transpose(y, (0, 2, 3, 1))
    y = g.layernorm(y, base=base + ".norm")
    y = g.gelu_erf(g.linear(y, 4 * c, gain=2.0, base=base + ".pwconv1"))
    y = g.linear(y, c, base=base + ".pwconv2")
    # trained ConvNeXt layer scales sit around 0.1..1 (initialized at 1e-6)
    gamma = g.init(base + ".gamma", g.rng.uniform(0.1, 1.0, c).astype(np.float32))
    y = g.transpose(g.mul(y, gamma), (0, 3, 1, 2))
    return g.add(x, y)


def convnext():
    """ConvNeXt-T's first two stages, narrowed: 4x4 patchify stem with a
    channels-first LayerNorm, ConvNeXt blocks, a LayerNorm + 2x2 stride-2
    downsampling layer, mean pooling, LayerNorm and the classifier."""
    g = Net("convnext", 71, opset=17)
    x = g.input("input", (1, 3, 64, 64))
    x = g.layernorm_cf(g.conv(x, 96, 4, stride=4, pad=0, base="stem.0"), base="stem.1")
    for i in range(2):
        x = _convnext_block(g, x, "stages.0.%d" % i)
    x = g.conv(g.layernorm_cf(x, base="downsample.0"), 192, 2, stride=2, pad=0, base="downsample.1")
    x = _convnext_block(g, x, "stages.1.0")
    x = g.node("ReduceMean", [x], g.shape[x][:2], axes=[2, 3], keepdims=0)
    x = g.gemm(g.layernorm(x, base="head.norm"), 10, gain=1.0, base="head.fc")
    return g.model([x])


def _mbconv(g, x, t, cout, k, stride, base):
    """EfficientNet MBConv: 1x1 expand, kxk depthwise, squeeze-and-excitation
    (1x1 convs with SiLU / Sigmoid), 1x1 linear projection, residual. The SE
    gates start near 0.73 (fc2 bias +1) so activations stay O(1)..O(10)
    through the 16 blocks."""
    cin = g.shape[x][1]
    y = x
    if t != 1:
        y = g.silu(g.bn(g.conv(y, cin * t, 1, pad=0, bias=False, base=base + ".expand"), base + ".expand_bn"))
    hid = g.shape[y][1]
    y = g.silu(g.bn(g.conv(y, hid, k, stride=stride, group=hid, bias=False, base=base + ".dw"),
                    base + ".dw_bn"))
    s = g.silu(g.conv(g.gap(y), max(1, cin // 4), 1, pad=0, base=base + ".se.fc1"))
    s = g.act("Sigmoid", g.conv(s, hid, 1, pad=0, gain=1.0, bias_shift=1.0, base=base + ".se.fc2"))
    y = g.mul(y, s)
    y = g.bn(g.conv(y, cout, 1, pad=0, bias=False, base=base + ".project"), base + ".project_bn")
    return g.add(y, x) if stride == 1 and cin == cout else y


def efficientnet():
    """EfficientNet-B0 (all seven MBConv stages) at 96x96: SiLU as
    x * Sigmoid(x), SE blocks, 3x3 and 5x5 depthwise convs, residuals."""
    g = Net("efficientnet", 80, opset=17)
    x = g.input("input", (1, 3, 96, 96))
    x = g.silu(g.bn(g.conv(x, 32, 3, stride=2, bias=False, base="stem"), "stem_bn"))
    idx = 0
    for t, c, n, s, k in ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
                          (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)):
        for i in range(n):
            x = _mbconv(g, x, t, c, k, s if i == 0 else 1, "blocks.%d" % idx)
            idx += 1
    x = g.silu(g.bn(g.conv(x, 1280, 1, pad=0, bias=False, gain=2.0, base="head"), "head_bn"))
    x = g.flatten(g.gap(x))
    x = g.gemm(g.dropout(x, 0.2), 10, gain=1.0, base="classifier")
    return g.model([x])


def densenet():
    """DenseNet-121 style: stem, two dense blocks of BN-ReLU-Conv1x1 (4k) -
    BN-ReLU-Conv3x3 (k) layers whose outputs grow the feature map by Concat
    (growth k = 32), a BN-ReLU-Conv1x1-AvgPool transition, classifier."""
    g = Net("densenet", 121, opset=17)
    x = g.input("input", (1, 3, 64, 64))
    x = g.relu(g.bn(g.conv(x, 64, 7, stride=2, pad=3, bias=False, base="conv0"), "norm0"))
    x = g.pool("MaxPool", x, 3, 2, pad=1)
    for b, nl in enumerate((6, 6), 1):
        for i in range(nl):
            base = "denseblock%d.denselayer%d" % (b, i + 1)
            y = g.conv(g.relu(g.bn(x, base + ".norm1")), 128, 1, pad=0, bias=False, base=base + ".conv1")
            y = g.conv(g.relu(g.bn(y, base + ".norm2")), 32, 3, bias=False, base=base + ".conv2")
            x = g.concat([x, y])
        if b == 1:
            c = g.shape[x][1] // 2
            x = g.conv(g.relu(g.bn(x, "transition1.norm")), c, 1, pad=0, bias=False, base="transition1.conv")
            x = g.pool("AveragePool", x, 2, 2)
    x = g.flatten(g.gap(g.relu(g.bn(x, "norm5"))))
    x = g.gemm(x, 10, gain=1.0, base="classifier")
    return g.model([x])


def _resnext_block(g, x, width, out, stride, base):
    y = g.relu(g.bn(g.conv(x, width, 1, pad=0, bias=False, base=base + ".conv1"), base + ".bn1"))
    y = g.relu(g.bn(g.conv(y, width, 3, stride=stride, group=32, bias=False, base=base + ".conv2"),
                    base + ".bn2"))
    y = g.bn(g.conv(y, out, 1, pad=0, bias=False, base=base + ".conv3"), base + ".bn3")
    if stride != 1 or g.shape[x][1] != out:
        x = g.bn(g.conv(x, out, 1, stride=stride, pad=0, bias=False, base=base + ".downsample.0"),
                 base + ".downsample.1")
    return g.relu(g.add(y, x))


def resnext():
    """ResNeXt-50 (32x4d): layer1's three bottlenecks (grouped 3x3 conv,
    group=32, width 128) and layer2's strided first block (width 256)."""
    g = Net("resnext", 32, opset=17)
    x = g.input("input", (1, 64, 28, 28))
    for b in range(3):
        x = _resnext_block(g, x, 128, 256, 1, "layer1.%d" % b)
    x = _resnext_block(g, x, 256, 512, 2, "layer2.0")
    return g.model([x])


def _double_conv(g, x, c, base):
    x = g.relu(g.bn(g.conv(x, c, 3, bias=False, base=base + ".0"), base + ".1"))
    return g.relu(g.bn(g.conv(x, c, 3, bias=False, base=base + ".3"), base + ".4"))


def unet():
    """U-Net with four levels: double 3x3 conv-BN-ReLU, max pooling down,
    ConvTranspose k2 s2 up, Concat with the encoder's skip, 1x1 classifier."""
    g = Net("unet", 64, opset=17)
    x = g.input("input", (1, 3, 128, 128))
    skips = []
    for i, c in enumerate((16, 32, 64)):
        x = _double_conv(g, x, c, "down%d.conv" % i)
        skips.append(x)
        x = g.pool("MaxPool", x, 2, 2)
    x = _double_conv(g, x, 128, "bottleneck")
    for i, skip in enumerate(reversed(skips)):
        c = g.shape[skip][1]
        x = g.conv_t(x, c, 2, 2, base="up%d.up" % i)
        x = _double_conv(g, g.concat([skip, x]), c, "up%d.conv" % i)
    x = g.conv(x, 2, 1, pad=0, gain=1.0, base="outc")
    return g.model([x])


def _bilinear_kernel(c, k, rng, noise):
    """FCN's upsampling init: a bilinear k x k filter on each class's own
    channel ([c, c, k, k], zero off the diagonal) plus optional noise."""
    f = (k + 1) // 2
    center = f - 1 if k % 2 == 1 else f - 0.5
    og = np.arange(k)
    filt = (1 - np.abs(og - center) / f)
    w = np.zeros((c, c, k, k), np.float32)
    w[np.arange(c), np.arange(c)] = np.outer(filt, filt)
    return (w + rng.standard_normal(w.shape) * noise).astype(np.float32)


def fcn8s():
    """FCN-8s: a VGG-style backbone (pool3 / pool4 / conv7 at strides 8 /
    16 / 32), class scores at each, 2x ConvTranspose (k4 s2) upsampling
    cropped by Slice to the finer map and fused by Add, then an 8x
    ConvTranspose (k16 s8 p4) back to the input size."""
    g = Net("fcn8s", 8, opset=17)
    ncls = 5
    x = g.input("input", (1, 3, 96, 96))
    feats = {}
    for i, (c, n) in enumerate(((16, 2), (32, 2), (64, 2), (128, 2), (128, 2)), 1):
        for j in range(n):
            x = g.relu(g.conv(x, c, 3, base="conv%d_%d" % (i, j + 1)))
        x = g.pool("MaxPool", x, 2, 2)
        feats[i] = x
    x = g.dropout(g.relu(g.conv(x, 256, 3, base="fc6")))
    x = g.dropout(g.relu(g.conv(x, 256, 1, pad=0, base="fc7")))
    score = g.conv(x, ncls, 1, pad=0, gain=1.0, base="score_fr")
    for lvl, scale in ((4, 0.01), (3, 0.0001)):
        up = g.conv_t(score, ncls, 4, 2, bias=False, weight=_bilinear_kernel(ncls, 4, g.rng, 0.05),
                      base="upscore%d" % lvl)
        # FCN-8s "at once" scales the pool features before scoring them
        sp = g.conv(g.mul(feats[lvl], scale), ncls, 1, pad=0, gain=2.0 / scale ** 2,
                    base="score_pool%d" % lvl)
        h = g.shape[sp][2]
        up = g.slice(g.slice(up, 2, 1, 1 + h), 3, 1, 1 + h)
        score = g.add(up, sp)
    x = g.conv_t(score, ncls, 16, 8, pad=4, bias=False, weight=_bilinear_kernel(ncls, 16, g.rng, 0.0),
                 base="upscore8")
    return g.model([x])


def deeplabv3():
    """DeepLabV3 head on a stride-8 backbone: ASPP with a 1x1 branch, 3x3
    convs dilated 6 / 12 / 18 and an image-pooling branch (GAP, 1x1 conv,
    Resize back up), Concat, 1x1 projection, classifier, then bilinear
    Resize (align_corners) to the input size."""
    g = Net("deeplabv3", 3, opset=17)
    x = g.input("input", (1, 3, 160, 160))
    for i, c in enumerate((32, 64, 128)):
        x = g.relu(g.bn(g.conv(x, c, 3, stride=2, bias=False, base="backbone.%d" % i), "backbone.%d.bn" % i))
    x = g.relu(g.bn(g.conv(x, 128, 3, bias=False, base="backbone.3"), "backbone.3.bn"))
    h, w = g.shape[x][2:]
    branches = [g.relu(g.bn(g.conv(x, 64, 1, pad=0, bias=False, base="aspp.0"), "aspp.0.bn"))]
    for i, rate in enumerate((6, 12, 18), 1):
        branches.append(g.relu(g.bn(g.conv(x, 64, 3, dilation=rate, bias=False, base="aspp.%d" % i),
                                    "aspp.%d.bn" % i)))
    p = g.relu(g.bn(g.conv(g.gap(x), 64, 1, pad=0, bias=False, base="aspp.4"), "aspp.4.bn"))
    branches.append(g.interpolate(p, (h, w)))
    x = g.relu(g.bn(g.conv(g.concat(branches), 64, 1, pad=0, bias=False, base="aspp.project"),
                    "aspp.project.bn"))
    x = g.dropout(x, 0.5)
    x = g.relu(g.bn(g.conv(x, 64, 3, bias=False, base="head.1"), "head.1.bn"))
    x = g.conv(x, 6, 1, pad=0, gain=1.0, base="head.4")
    x = g.interpolate(x, (160, 160), ctm="align_corners")
    return g.model([x])


def _yolo_detect(g, x, anchors, stride, ncls, base):
    """One YOLOv5 Detect level: 1x1 conv to A*(5+C), view as [1, A, 5+C, H, W],
    permute to [1, A, H, W, 5+C], Sigmoid, Split, and the box decode
    xy = (2s - 0.5 + grid) * stride, wh = (2s)^2 * anchor with the grid and
    anchor tensors as constants (the exporter traces them)."""
    n, _, h, w = g.shape[x]
    na, no = len(anchors), 5 + ncls
    p = g.conv(x, na * no, 1, pad=0, gain=1.0, base=base)
    p = g.transpose(g.reshape(p, (1, na, no, h, w)), (0, 1, 3, 4, 2))
    xy, wh, conf = g.split(g.act("Sigmoid", p), [2, 2, 1 + ncls], axis=-1)
    yv, xv = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    grid = np.broadcast_to(np.stack((xv, yv), -1), (1, na, h, w, 2)).astype(np.float32) - 0.5
    agrid = np.broadcast_to(np.array(anchors, np.float32).reshape(1, na, 1, 1, 2), (1, na, h, w, 2))
    xy = g.mul(g.binary("Add", g.mul(xy, 2.0), g.init(base + ".grid", grid)), float(stride))
    agrid = g.init(base + ".anchor_grid", np.ascontiguousarray(agrid))
    wh = g.mul(g.binary("Pow", g.mul(wh, 2.0), 2.0), agrid)
    return g.reshape(g.concat([xy, wh, conf], axis=-1), (1, na * h * w, no))


def yolo_head():
    """A YOLOv5-style two-scale detector: a Conv-BN-SiLU backbone to
    strides 16 and 32, an FPN step (1x1 conv, nearest Resize x2, Concat),
    two Detect levels decoded to (cx, cy, w, h, obj, classes), and
    NonMaxSuppression on obj * class scores (center_point_box=1). On the
    seeded input it keeps 40 boxes; every decision it takes is clear of a
    tie by >= 1e-4 (score vs threshold, score order, IoU vs threshold),
    ~100x the float error, so the exact index comparison is stable."""
    g = Net("yolo_head", 5, opset=17)
    ncls = 4
    x = g.input("images", (1, 3, 128, 128))
    feats = []
    for i, c in enumerate((16, 32, 64, 128, 256)):
        x = g.silu(g.bn(g.conv(x, c, 3, stride=2, bias=False, base="model.%d.conv" % i), "model.%d.bn" % i))
        feats.append(x)
    p4, p5 = feats[3], feats[4]
    lat = g.silu(g.bn(g.conv(p5, 128, 1, pad=0, bias=False, base="model.5.conv"), "model.5.bn"))
    up = g.concat([g.upsample2(lat), p4])
    p4o = g.silu(g.bn(g.conv(up, 128, 3, bias=False, base="model.8.conv"), "model.8.bn"))
    d4 = _yolo_detect(g, p4o, [(10, 14), (23, 27), (37, 58)], 16, ncls, "model.9.m.0")
    d5 = _yolo_detect(g, p5, [(81, 82), (135, 169), (344, 319)], 32, ncls, "model.9.m.1")
    pred = g.concat([d4, d5], axis=1)
    boxes, obj, cls = g.split(pred, [4, 1, ncls], axis=-1)
    scores = g.transpose(g.mul(cls, obj), (0, 2, 1))
    sel = g.nms(boxes, scores, 10, 0.45, 0.25, center=1)
    return g.model([pred, sel])


def ssd_head():
    """An SSD-style detector: a backbone to strides 8 / 16 / 32, 3x3 loc and
    conf convs per level (4 anchors), Transpose + Reshape + Concat to
    [1, N, 4] / [1, N, 1+C], box decode against constant priors
    (cxcy + loc * 0.1 * wh, wh * exp(loc * 0.2), corners), Softmax over the
    classes, background dropped by Slice, NonMaxSuppression. On the seeded
    input it keeps 80 boxes; its decisions are clear of a tie by >= 6e-5
    (score vs threshold; order and IoU by >= 1e-4), ~80x the float error."""
    g = Net("ssd_head", 300, opset=17)
    ncls, na = 4, 4
    x = g.input("input", (1, 3, 128, 128))
    levels = []
    for i, c in enumerate((32, 64, 64, 128, 128)):
        x = g.relu(g.bn(g.conv(x, c, 3, stride=2, bias=False, base="features.%d" % i), "features.%d.bn" % i))
        if i >= 2:
            levels.append(x)
    locs, confs, priors = [], [], []
    for li, f in enumerate(levels):
        h = g.shape[f][2]
        loc = g.conv(f, na * 4, 3, gain=1.0, base="loc.%d" % li)
        conf = g.conv(f, na * (1 + ncls), 3, gain=1.0, base="conf.%d" % li)
        locs.append(g.reshape(g.transpose(loc, (0, 2, 3, 1)), (1, -1, 4)))
        confs.append(g.reshape(g.transpose(conf, (0, 2, 3, 1)), (1, -1, 1 + ncls)))
        sk = 0.2 + 0.25 * li
        for yy in range(h):
            for xx in range(h):
                cx, cy = (xx + 0.5) / h, (yy + 0.5) / h
                for ar in (1.0, 2.0, 0.5):
                    priors.append((cx, cy, sk * np.sqrt(ar), sk / np.sqrt(ar)))
                priors.append((cx, cy, sk * 1.3, sk * 1.3))
    loc = g.concat(locs, axis=1)
    conf = g.concat(confs, axis=1)
    pri = np.clip(np.array(priors, np.float32), 0.0, 1.0)[None]
    pcxcy = g.init("priors_cxcy", np.ascontiguousarray(pri[..., :2]))
    pwh = g.init("priors_wh", np.ascontiguousarray(pri[..., 2:]))
    lxy, lwh = g.split(loc, [2, 2], axis=-1)
    cxcy = g.binary("Add", pcxcy, g.mul(g.mul(lxy, 0.1), pwh))
    wh = g.mul(pwh, g.act("Exp", g.mul(lwh, 0.2)))
    half = g.mul(wh, 0.5)
    boxes = g.concat([g.binary("Sub", cxcy, half), g.binary("Add", cxcy, half)], axis=-1)
    probs = g.softmax(conf, axis=-1)
    scores = g.transpose(g.slice(probs, 2, 1, 1 + ncls), (0, 2, 1))
    sel = g.nms(boxes, scores, 20, 0.5, 0.3)
    return g.model([boxes, probs, sel])


def diffusion_block():
    """A Stable-Diffusion style U-Net block at 64 channels, 16x16: the
    sinusoidal timestep embedding from an int64 timestep (Cast, Mul by the
    constant frequencies, Cos / Sin, Concat) and its MLP; a ResNet block
    (GroupNorm(32) - SiLU - conv, + projected embedding, GroupNorm - SiLU -
    conv, residual); a self-attention block over the 256 HW tokens (GroupNorm,
    Reshape / Transpose to tokens, q k v Linear, 2 heads, MatMul - Softmax -
    MatMul, output Linear, back to NCHW, residual). GroupNormalization-21
    (per-channel affine) needs opset 21."""
    from onnx import TensorProto
    g = Net("diffusion_block", 21, opset=21)
    c, hw, heads, tdim = 64, 16, 2, 256
    x = g.input("sample", (1, c, hw, hw))
    t = g.input("timestep", (1,), TensorProto.INT64)
    half = c // 2
    freqs = np.exp(-np.log(10000.0) * np.arange(half, dtype=np.float32) / half).astype(np.float32)
    arg = g.mul(g.unsqueeze(g.node("Cast", [t], (1,), to=TensorProto.FLOAT), [1]),
                g.init("time_proj.freqs", freqs[None]))
    emb = g.concat([g.act("Cos", arg), g.act("Sin", arg)], axis=-1)     # flip_sin_to_cos=True
    emb = g.gemm(g.silu(g.gemm(emb, tdim, gain=1.0, base="time_embedding.linear_1")), tdim,
                 gain=1.0, base="time_embedding.linear_2")
    # ResNet block
    h = g.conv(g.silu(g.groupnorm(x, base="resnets.0.norm1")), c, 3, base="resnets.0.conv1")
    temb = g.gemm(g.silu(emb), c, gain=1.0, base="resnets.0.time_emb_proj")
    h = g.add(h, g.unsqueeze(temb, [2, 3]))
    h = g.conv(g.dropout(g.silu(g.groupnorm(h, base="resnets.0.norm2")), 0.0), c, 3, gain=1.0,
               base="resnets.0.conv2")
    x = g.add(x, h)
    # self-attention over the HW tokens
    d = c // heads
    y = g.groupnorm(x, base="attentions.0.group_norm")
    y = g.transpose(g.reshape(y, (1, c, hw * hw)), (0, 2, 1))
    q, k, v = (g.transpose(g.reshape(g.linear(y, c, bias=False, base="attentions.0.to_" + n),
                                     (1, hw * hw, heads, d)), (0, 2, 1, 3)) for n in "qkv")
    kt = g.transpose(k, (0, 1, 3, 2))
    s = g.node("MatMul", [g.mul(q, float(d ** -0.25)), g.mul(kt, float(d ** -0.25))],
               (1, heads, hw * hw, hw * hw))
    a = g.node("MatMul", [g.softmax(s, axis=-1), v], g.shape[q])
    a = g.reshape(g.transpose(a, (0, 2, 1, 3)), (1, hw * hw, c))
    a = g.linear(a, c, base="attentions.0.to_out.0")
    a = g.reshape(g.transpose(a, (0, 2, 1)), (1, c, hw, hw))
    return g.model([g.add(a, x)])


def local_functions():
    """Model-local functions, as the newer PyTorch exporter writes modules:
    a ConvAct function (Conv + LeakyRelu whose alpha refers to the caller's
    attribute, with a default) called from a nested residual Block function,
    called twice from the graph (once giving alpha, once relying on the
    default). kiln inlines them; onnxruntime runs them as functions."""
    import onnx
    from onnx import helper, TensorProto, AttributeProto
    rng = np.random.default_rng(61)
    dom = "kiln.test"

    def with_ref(node, name):  # attribute `name` refers to the calling node's `name`
        node.attribute.append(helper.make_attribute_ref(name, AttributeProto.FLOAT))
        return node

    conv_act = helper.make_function(
        dom, "ConvAct", ["X", "W", "B"], ["Y"],
        [helper.make_node("Conv", ["X", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
         with_ref(helper.make_node("LeakyRelu", ["c"], ["Y"]), "alpha")],
        [helper.make_opsetid("", 17)], attributes=[],
        attribute_protos=[helper.make_attribute("alpha", 0.2)])
    block = helper.make_function(
        dom, "Block", ["X", "W1", "B1", "W2", "B2"], ["Y"],
        [with_ref(helper.make_node("ConvAct", ["X", "W1", "B1"], ["h"], domain=dom), "alpha"),
         helper.make_node("ConvAct", ["h", "W2", "B2"], ["h2"], domain=dom),
         helper.make_node("Add", ["X", "h2"], ["Y"])],
        [helper.make_opsetid("", 17), helper.make_opsetid(dom, 1)], attributes=["alpha"])
    c = 8
    inits = []
    for i in range(4):
        inits.append(onnx.numpy_helper.from_array(
            (rng.standard_normal((c, c, 3, 3)) * np.sqrt(2.0 / (9 * c))).astype(np.float32), "w%d" % i))
        inits.append(onnx.numpy_helper.from_array((rng.standard_normal(c) * 0.1).astype(np.float32), "b%d" % i))
    nodes = [
        helper.make_node("Block", ["x", "w0", "b0", "w1", "b1"], ["y1"], domain=dom, name="block1", alpha=0.05),
        helper.make_node("Block", ["y1", "w2", "b2", "w3", "b3"], ["y2"], domain=dom, name="block2"),
        helper.make_node("GlobalAveragePool", ["y2"], ["pooled"], name="gap"),
    ]
    graph = helper.make_graph(nodes, "local_functions",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 12, 12])],
                              [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, c, 1, 1])], inits)
    model = helper.make_model(graph, functions=[conv_act, block],
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(dom, 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def elementwise_parts():
    """Large elementwise, LayerNorm and Softmax nodes that a multi-threaded
    build splits into parts along their first non-unit axis: broadcasts
    along that axis (a [1, 1, H, W] input), beside it (per-channel and
    per-column constants, a rank-3 constant), Where / Greater, a channel
    Softmax that cannot be split at that axis, a graph input read by
    several parts, Transposes (each part reads the input through its
    strides), an LRN cut into bands of rows. A convolution first gives the
    build its thread pool."""
    g = Net("elementwise_parts", 71, opset=17)
    c, h, w = 48, 40, 40
    x = g.conv(g.input("x", (1, c, h, w)), c, 3, base="conv")
    m = g.input("m", (1, 1, h, w))
    a = g.mul(x, g.init("scale", g.rng.uniform(0.5, 1.5, (1, c, 1, 1)).astype(np.float32)))
    a = g.binary("Add", a, g.init("col", g.rng.standard_normal(w).astype(np.float32)))
    a = g.binary("Sub", a, m)
    s = g.act("Sigmoid", a)
    d = g.binary("Div", s, g.binary("Add", g.act("Abs", x), 1.0))
    d = g.binary("Mul", d, g.init("chan3", g.rng.uniform(0.5, 2.0, (c, 1, 1)).astype(np.float32)))
    n = g.layernorm(d, eps=1e-5, base="ln")
    p = g.softmax(n, axis=-1)
    q = g.node("Where", [g.node("Greater", [x, m], (1, c, h, w), dtype=9), p, n], (1, c, h, w))
    r = g.softmax(q, axis=1)
    # Transposes, split along their output's first axis: to channels-last,
    # and one that swaps the two spatial axes
    t1 = g.transpose(g.act("Tanh", q), (0, 2, 3, 1))
    t2 = g.transpose(g.act("Neg", r), (0, 1, 3, 2))
    # LRN (Inception's), split into bands of rows
    lrn = g.node("LRN", [g.act("Abs", r)], (1, c, h, w), size=5, alpha=1e-4, beta=0.75, bias=1.0)
    return g.model([g.act("Relu", g.add(r, q)), t1, t2, lrn])


MODELS = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "vgg": vgg,
    "inception": inception,
    "resnet18": resnet18,
    "resnet50_stage": resnet50_stage,
    "xception": xception,
    "se_block": se_block,
    "mobilenetv2": mobilenetv2,
    "dw_multiplier": dw_multiplier,
    "fashion_cnn": fashion_cnn,
    "convnext": convnext,
    "efficientnet": efficientnet,
    "densenet": densenet,
    "resnext": resnext,
    "unet": unet,
    "fcn8s": fcn8s,
    "deeplabv3": deeplabv3,
    "yolo_head": yolo_head,
    "ssd_head": ssd_head,
    "diffusion_block": diffusion_block,
    "local_functions": local_functions,
    "elementwise_parts": elementwise_parts,
}

# inputs that are not standard-normal float32: name -> {input: fn(rng, shape)}
FEEDS = {
    "diffusion_block": {"timestep": lambda rng, shape: rng.integers(0, 1000, shape).astype(np.int64)},
}


def write(outdir, names=None, models=None):
    """Write the models (all, or those named; from `models`, default MODELS) as
    outdir/NAME.onnx; returns paths."""
    import onnx
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for name, fn in (models or MODELS).items():
        if names and name not in names:
            continue
        path = os.path.join(outdir, name + ".onnx")
        onnx.save(fn(), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: make_models.py OUTDIR [NAME...]")
    for p in write(sys.argv[1], sys.argv[2:]):
        print(p)
