#!/usr/bin/env python3
"""models.py - the benchmark's own models, built with onnx.helper through the
test suite's graph builder (tests/models/make_models.py's Net: seeded
He-normal weights, the PyTorch exporter's idioms).

    unet()          a U-Net: encoder (Conv-BN-Relu x2, MaxPool) x3, a
                    bottleneck, decoder (ConvTranspose k2 s2, Concat with the
                    skip, Conv-BN-Relu x2) x3, a 1x1 head; 1x3x256x256
    mobilenetv2()   MobileNetV2, width 1.0, all seven stages, 1000 classes,
                    1x3x224x224 (the test suite's copy stops after four)

    python3 bench/models.py OUTDIR [NAME...]   writes OUTDIR/NAME.onnx
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "models"))
from make_models import Net, write as write_models  # noqa: E402


def _conv_bn_relu(g, x, cout, base):
    return g.relu(g.bn(g.conv(x, cout, 3, bias=False, base=base + ".conv"), base + ".bn"))


def _up(g, x, cout, base):
    """ConvTranspose, kernel 2, stride 2: doubles H and W."""
    n, cin, h, w = g.shape[x]
    wt = g.init(base + ".weight", g.he((cin, cout, 2, 2), cin * 4))
    b = g.init(base + ".bias", (g.rng.standard_normal(cout) * 0.05).astype(np.float32))
    return g.node("ConvTranspose", [x, wt, b], (n, cout, 2 * h, 2 * w), base,
                  kernel_shape=[2, 2], strides=[2, 2])


def unet(size=256, base_width=32, levels=3, classes=2):
    g = Net("unet", 11)
    x = g.input("input", (1, 3, size, size))
    skips = []
    c = base_width
    for i in range(levels):
        x = _conv_bn_relu(g, x, c, "enc%d.0" % i)
        x = _conv_bn_relu(g, x, c, "enc%d.1" % i)
        skips.append(x)
        x = g.pool("MaxPool", x, 2, 2)
        c *= 2
    x = _conv_bn_relu(g, x, c, "mid.0")
    x = _conv_bn_relu(g, x, c, "mid.1")
    for i in reversed(range(levels)):
        c //= 2
        x = _up(g, x, c, "up%d" % i)
        x = g.concat([x, skips[i]])
        x = _conv_bn_relu(g, x, c, "dec%d.0" % i)
        x = _conv_bn_relu(g, x, c, "dec%d.1" % i)
    x = g.conv(x, classes, 1, pad=0, base="head")
    return g.model([x])


def mobilenetv2(size=224, classes=1000):
    g = Net("mobilenetv2_224", 5)
    x = g.input("input", (1, 3, size, size))
    x = g.relu6(g.bn(g.conv(x, 32, 3, stride=2, bias=False, base="features.0.0"), "features.0.1"))
    idx = 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            base = "features.%d" % idx
            cin = g.shape[x][1]
            y = x
            if t != 1:
                y = g.relu6(g.bn(g.conv(y, cin * t, 1, pad=0, bias=False, base=base + ".expand"),
                                 base + ".expand_bn"))
            hid = g.shape[y][1]
            stride = s if i == 0 else 1
            y = g.relu6(g.bn(g.conv(y, hid, 3, stride=stride, group=hid, bias=False, base=base + ".dw"),
                             base + ".dw_bn"))
            y = g.bn(g.conv(y, c, 1, pad=0, bias=False, base=base + ".project"), base + ".project_bn")
            x = g.add(x, y) if stride == 1 and cin == c else y
            idx += 1
    x = g.relu6(g.bn(g.conv(x, 1280, 1, pad=0, bias=False, base="features.18.0"), "features.18.1"))
    x = g.flatten(g.gap(x))
    x = g.gemm(g.dropout(x, 0.2), classes, gain=1.0, base="classifier.1")
    return g.model([x])


MODELS = {"unet": unet, "mobilenetv2_224": mobilenetv2}


def write(outdir, names=None):
    return write_models(outdir, names, MODELS)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: models.py OUTDIR [NAME...]")
    for p in write(sys.argv[1], sys.argv[2:]):
        print(p)
