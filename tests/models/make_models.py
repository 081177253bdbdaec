#!/usr/bin/env python3
"""make_models.py - the end-to-end test models, built with onnx.helper.

Ten small convolutional networks, one per architecture the CNN chapters
cover, with seeded random weights (numpy default_rng(seed); He-normal
initialization, BatchNorm statistics near identity) so activations keep a
realistic scale through the whole network. They are written at test time into
the build directory (no .onnx file is committed) and compared with
onnxruntime by run_models.py.

The graphs use the idioms the PyTorch exporter writes: Conv without bias
before BatchNormalization, Flatten before the classifier, a
Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain for x.view(x.size(0), -1),
Constant nodes for Clip bounds, Identity and Dropout nodes.

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
        self.count = {}

    # ---- plumbing
    def uniq(self, base):
        k = self.count.get(base, 0)
        self.count[base] = k + 1
        return "%s_%d" % (base, k) if k else base

    def input(self, name, shape):
        from onnx import TensorProto, helper
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        self.shape[name] = tuple(shape)
        return name

    def init(self, base, array):
        from onnx import numpy_helper
        name = self.uniq(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, shape, base=None, **attrs):
        from onnx import helper
        name = self.uniq(base or op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [name], name=name, **attrs))
        self.shape[name] = tuple(shape) if shape is not None else None
        return name

    def const(self, base, array):
        """A Constant node (the exporter's way of writing small tensors)."""
        from onnx import helper, numpy_helper
        name = self.uniq(base)
        self.nodes.append(helper.make_node("Constant", [], [name], name=name,
                                           value=numpy_helper.from_array(np.asarray(array), name)))
        return name

    def he(self, shape, fan_in, gain=2.0):
        return (self.rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)

    # ---- layers
    def conv(self, x, cout, k, stride=1, pad=None, group=1, bias=True, dilation=1, base="conv"):
        n, cin, h, w = self.shape[x]
        pad = (k // 2) * dilation if pad is None else pad
        wt = self.init(base + ".weight", self.he((cout, cin // group, k, k), cin // group * k * k))
        ins = [x, wt]
        if bias:
            ins.append(self.init(base + ".bias", (self.rng.standard_normal(cout) * 0.05).astype(np.float32)))
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
        s[axis] = sum(self.shape[x][axis] for x in xs)
        return self.node("Concat", xs, s, axis=axis)

    def softmax(self, x):
        return self.node("Softmax", [x], self.shape[x], axis=1)

    def model(self, outputs):
        import onnx
        from onnx import TensorProto, helper
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, list(self.shape[o])) for o in outputs]
        g = helper.make_graph(self.nodes, self.name, self.inputs, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="kiln-tests")
        m.ir_version = 8
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
    1x1) with BN, max pooling and strided 1x1 residual projections."""
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
    x = g.flatten(g.gap(g.relu(x)))
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
    "fashion_cnn": fashion_cnn,
}


def write(outdir, names=None):
    """Write the models (all, or those named) as outdir/NAME.onnx; returns paths."""
    import onnx
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for name, fn in MODELS.items():
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
