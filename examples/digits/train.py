#!/usr/bin/env python3
"""Train the bundled example model: a small CNN on scikit-learn's 8x8 digits.

    python3 examples/digits/train.py          (a few seconds)

Writes, next to this file:
  digits.onnx       opset 13; input "image" float32 [1,1,8,8] (pixels / 16, so
                    0..1), output "logits" float32 [1,10]
  digit_<L>.npy     a few test-split images with true label L, shaped like "image"

Network: Conv(8,3x3,pad 1)-Relu-MaxPool(2) -> Conv(16,3x3,pad 1)-Relu-MaxPool(2)
-> Flatten -> Gemm(10). Forward and backward are written out in numpy (im2col
convolutions) and trained with Adam on softmax cross-entropy; every random
choice is seeded, so a rerun gives the same weights up to BLAS rounding.
Finally onnxruntime runs the exported file on the whole test split and must
agree with the numpy model's predictions.

Needs numpy, scikit-learn (for the dataset only; load_digits needs no
network), onnx and onnxruntime.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0
EPOCHS = 40
BATCH = 32
LR = 0.005
SAMPLE_LABELS = (3, 5, 7)


# ---- layers: each forward returns (output, cache); backward takes the cache

def im2col(x):
    """(N,C,H,W) -> (N, C*9, H*W): 3x3 patches, pad 1, stride 1, in (c, kh, kw)
    order so that a Conv weight (F,C,3,3) reshaped to (F, C*9) multiplies it."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=2)
    return cols.reshape(n, c * 9, h * w)


def col2im(dcols, shape):
    """Adjoint of im2col: scatter-add patch gradients back onto the input."""
    n, c, h, w = shape
    dcols = dcols.reshape(n, c, 9, h, w)
    dxp = np.zeros((n, c, h + 2, w + 2), dtype=dcols.dtype)
    for k in range(9):
        i, j = divmod(k, 3)
        dxp[:, :, i:i + h, j:j + w] += dcols[:, :, k]
    return dxp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col(x)
    y = np.einsum("fk,nkp->nfp", w.reshape(w.shape[0], -1), cols) + b[None, :, None]
    return y.reshape(n, w.shape[0], h, wd), (x.shape, cols, w)


def conv_bwd(dy, cache):
    xshape, cols, w = cache
    f = w.shape[0]
    dy = dy.reshape(dy.shape[0], f, -1)
    dw = np.einsum("nfp,nkp->fk", dy, cols).reshape(w.shape)
    db = dy.sum(axis=(0, 2))
    dcols = np.einsum("fk,nfp->nkp", w.reshape(f, -1), dy)
    return col2im(dcols, xshape), dw, db


def pool_fwd(x):
    """2x2 max pool, stride 2; the backward pass routes each window's gradient
    to its first maximum, as argmax does."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], (x.shape, arg)


def pool_bwd(dy, cache):
    (n, c, h, w), arg = cache
    dwin = np.zeros(arg.shape + (4,), dtype=dy.dtype)
    np.put_along_axis(dwin, arg[..., None], dy[..., None], axis=-1)
    dwin = dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return dwin.reshape(n, c, h, w)


# ---- the network

def init_params(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return {
        "conv1.weight": he((8, 1, 3, 3), 9), "conv1.bias": np.zeros(8, np.float32),
        "conv2.weight": he((16, 8, 3, 3), 72), "conv2.bias": np.zeros(16, np.float32),
        "fc.weight": he((10, 64), 64), "fc.bias": np.zeros(10, np.float32),
    }


def forward(p, x):
    """x (N,1,8,8) -> logits (N,10), plus what backward needs."""
    h1, c1 = conv_fwd(x, p["conv1.weight"], p["conv1.bias"])
    r1 = np.maximum(h1, 0)
    m1, q1 = pool_fwd(r1)
    h2, c2 = conv_fwd(m1, p["conv2.weight"], p["conv2.bias"])
    r2 = np.maximum(h2, 0)
    m2, q2 = pool_fwd(r2)
    flat = m2.reshape(m2.shape[0], -1)            # ONNX Flatten(axis=1): C-order
    logits = flat @ p["fc.weight"].T + p["fc.bias"]  # Gemm(transB=1)
    return logits, (h1, c1, q1, h2, c2, q2, flat, m2.shape)


def backward(p, cache, dlogits):
    h1, c1, q1, h2, c2, q2, flat, m2shape = cache
    g = {"fc.weight": dlogits.T @ flat, "fc.bias": dlogits.sum(axis=0)}
    d = (dlogits @ p["fc.weight"]).reshape(m2shape)
    d = pool_bwd(d, q2) * (h2 > 0)
    d, g["conv2.weight"], g["conv2.bias"] = conv_bwd(d, c2)
    d = pool_bwd(d, q1) * (h1 > 0)
    _, g["conv1.weight"], g["conv1.bias"] = conv_bwd(d, c1)
    return g


def softmax_xent(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -np.log(prob[np.arange(n), labels] + 1e-12).mean()
    dlogits = prob
    dlogits[np.arange(n), labels] -= 1
    return loss, dlogits / n


def predict(p, x):
    return forward(p, x)[0].argmax(axis=1)


def train(xtr, ytr, rng):
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, step = 0.9, 0.999, 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(xtr))
        total = 0.0
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            logits, cache = forward(p, xtr[idx])
            loss, dlogits = softmax_xent(logits, ytr[idx])
            total += loss * len(idx)
            g = backward(p, cache, dlogits)
            step += 1
            lr = LR * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))   # cosine decay
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                p[k] = (p[k] - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if epoch % 10 == 9 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1:2d}: loss {total / len(xtr):.4f}, "
                  f"train accuracy {np.mean(predict(p, xtr) == ytr):.4f}")
    return p


# ---- export and check

def export(p, path):
    from onnx import TensorProto, checker, helper, numpy_helper

    inits = [numpy_helper.from_array(v.astype(np.float32), name=k) for k, v in sorted(p.items())]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("MaxPool", ["relu2"], ["pool2"], name="pool2",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "digits",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="kiln examples/digits/train.py",
                              opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    model.doc_string = ("8x8 handwritten digit classifier (scikit-learn digits). "
                        "Input: pixel values / 16. Output: class scores for 0-9.")
    checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def check_with_onnxruntime(path, p, xte):
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ours = forward(p, xte)[0]
    theirs = np.concatenate([sess.run(["logits"], {"image": xte[i:i + 1]})[0]
                             for i in range(len(xte))])
    agree = np.mean(ours.argmax(axis=1) == theirs.argmax(axis=1))
    diff = np.abs(ours - theirs).max()
    print(f"onnxruntime vs numpy: argmax agreement {agree:.4f}, max |logit diff| {diff:.2e}")
    return agree == 1.0 and diff < 1e-3


def main():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(SEED)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
    print(f"train {len(xtr)} images, test {len(xte)} images")

    p = train(xtr, ytr, rng)
    acc = float(np.mean(predict(p, xte) == yte))
    print(f"test accuracy {acc:.4f} ({int(round(acc * len(yte)))}/{len(yte)})")
    if acc < 0.95:
        print("error: test accuracy below 0.95", file=sys.stderr)
        return 1

    onnx_path = os.path.join(HERE, "digits.onnx")
    export(p, onnx_path)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)")
    if not check_with_onnxruntime(onnx_path, p, xte):
        print("error: onnxruntime disagrees with the numpy model", file=sys.stderr)
        return 1

    # The first correctly classified test image of each chosen label.
    pred = predict(p, xte)
    for label in SAMPLE_LABELS:
        i = int(np.flatnonzero((yte == label) & (pred == label))[0])
        out = os.path.join(HERE, f"digit_{label}.npy")
        np.save(out, xte[i:i + 1])
        print(f"wrote {out} (test image {i})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
