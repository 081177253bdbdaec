#!/usr/bin/env python3
"""check_viz.py - checks of `kiln inspect`'s pictures and JSON, one per call
(run_viz_tests.sh counts them). Exit 0 when the check holds; otherwise the
reason goes to stderr and the exit status is 1.

    check_viz.py json REPORT.json KEY=VALUE...        fields equal the values
    check_viz.py memory MEM.svg REPORT.json [SLICES]  well-formed; one buffer
        per root arena buffer; no two buffers share bytes at the same step;
        the highest byte used is the arena size; every buffer has a tooltip;
        SLICES (when given): that many zero-copy Concat slices
    check_viz.py dot GRAPH.dot REPORT.json            one op_ box per node
    check_viz.py graph GRAPH.svg REPORT.json TEXT...  well-formed; one op_ box
        per node, the inputs and outputs; each TEXT appears in some box
    check_viz.py png FILE.png                         a PNG signature
    check_viz.py concat-model OUT.onnx                writes a model whose
        Concat the planner makes zero-copy (two Conv -> Concat -> Relu)
"""

import json
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    sys.stderr.write("check_viz: %s\n" % msg)
    sys.exit(1)


def load_report(path):
    with open(path) as f:
        return json.load(f)


def parse_xml(path):
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed XML: %s" % (path, e))


def check_json(path, pairs):
    rep = load_report(path)
    for pair in pairs:
        key, want = pair.split("=", 1)
        got = rep.get(key)
        if str(got) != want:
            fail("%s: %s is %r, expected %s" % (path, key, got, want))


def check_memory(path, report, slices=None):
    rep = load_report(report)
    root = parse_xml(path)
    if root.tag != SVG + "svg":
        fail("%s: root element is %s, not svg" % (path, root.tag))
    bufs = [g for g in root.iter(SVG + "g") if g.get("class") == "buffer"]
    if len(bufs) != rep["arena_buffers"]:
        fail("%s: %d buffers drawn, the report has %d" % (path, len(bufs), rep["arena_buffers"]))
    spans = []
    for g in bufs:
        if g.find(SVG + "title") is None or g.find(SVG + "rect") is None:
            fail("%s: buffer %s lacks its <title> or <rect>" % (path, g.get("id")))
        off, size = int(g.get("data-offset")), int(g.get("data-bytes"))
        first, last = int(g.get("data-first")), int(g.get("data-last"))
        if off < 0 or size <= 0 or first > last:
            fail("%s: buffer %s has offset %d, bytes %d, steps %d-%d" % (path, g.get("id"), off, size, first, last))
        spans.append((off, off + size, first, last, g.get("id")))
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            if a[0] < b[1] and b[0] < a[1] and a[2] <= b[3] and b[2] <= a[3]:
                fail("%s: buffers %s and %s overlap in bytes and steps" % (path, a[4], b[4]))
    top = max((s[1] for s in spans), default=0)
    if top != rep["arena_bytes"]:
        fail("%s: buffers reach byte %d, the arena is %d" % (path, top, rep["arena_bytes"]))
    for cls in ("arena", "lower-bound", "live"):
        if not any(el.get("class") == cls for el in root.iter()):
            fail("%s: no %s line" % (path, cls))
    if slices is not None:
        got = sum(1 for g in root.iter(SVG + "g") if g.get("class") == "slice")
        if got != int(slices):
            fail("%s: %d Concat slices drawn, expected %s" % (path, got, slices))


def check_dot(path, report):
    rep = load_report(report)
    text = open(path).read()
    if not text.startswith("digraph"):
        fail("%s does not start with 'digraph'" % path)
    ops = re.findall(r'\[id="op_(\d+)"', text)
    if sorted(map(int, ops)) != list(range(rep["nodes_after"])):
        fail("%s: op boxes %s, expected op_0..op_%d" % (path, ops, rep["nodes_after"] - 1))


def check_graph(path, report, texts):
    rep = load_report(report)
    root = parse_xml(path)
    ids = [g.get("id") for g in root.iter(SVG + "g") if g.get("class") == "node"]
    ops = [i for i in ids if i.startswith("op_")]
    if len(ops) != rep["nodes_after"]:
        fail("%s: %d op boxes, the report has %d nodes" % (path, len(ops), rep["nodes_after"]))
    for kind in ("input", "output"):
        want = len(rep[kind + "s"])
        got = sum(1 for i in ids if i.startswith(kind + "_"))
        if got != want:
            fail("%s: %d %s ellipses, expected %d" % (path, got, kind, want))
    words = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    for t in texts:
        if t not in words:
            fail("%s: no box says %r" % (path, t))


def check_png(path):
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            fail("%s is not a PNG" % path)


def concat_model(out):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    inits = [numpy_helper.from_array(rng.standard_normal((c, 2, 3, 3)).astype(np.float32), n)
             for n, c in (("wa", 3), ("wb", 5))]
    nodes = [
        helper.make_node("Conv", ["x", "wa"], ["a"], name="conv_a", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "wb"], ["b"], name="conv_b", pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["a", "b"], ["c"], name="cat", axis=1),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["y"], name="gap"),
    ]
    graph = helper.make_graph(nodes, "cat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-tests")
    onnx.checker.check_model(model)
    onnx.save(model, out)


def main(argv):
    if len(argv) < 3:
        fail("usage: check_viz.py json|memory|dot|graph|png|concat-model FILE [ARGS...]")
    what, path, rest = argv[1], argv[2], argv[3:]
    if what == "json":
        check_json(path, rest)
    elif what == "memory":
        check_memory(path, rest[0], rest[1] if len(rest) > 1 else None)
    elif what == "dot":
        check_dot(path, rest[0])
    elif what == "graph":
        check_graph(path, rest[0], rest[1:])
    elif what == "png":
        check_png(path)
    elif what == "concat-model":
        concat_model(path)
    else:
        fail("unknown check %r" % what)


if __name__ == "__main__":
    main(sys.argv)
