"""gen_node_tests.py - write the ONNX backend node tests out as files.

The onnx wheel ships the node-test *generators* (onnx.backend.test.case.node),
not their data. This module runs them and writes, per case:

    OUT/<case>/model.onnx
    OUT/<case>/test_data_set_<N>/input_<K>.pb, output_<K>.pb   (TensorProto)
    OUT/<case>/NOT_TENSOR    instead of data, when a graph input or output is
                             a sequence / optional / map (kiln runs tensors only)

A stamp file (OUT/.stamp) records the onnx version and this generator's
revision; generate() does nothing when the stamp matches, so a build
directory generates the ~1900 cases once.

    python3 gen_node_tests.py OUTDIR [SUBSTRING...]   (always regenerates)
"""

import os
import shutil
import sys
import warnings

GEN_REVISION = "1"


def _stamp():
    import onnx
    return "onnx %s gen %s\n" % (onnx.__version__, GEN_REVISION)


def _tensor_io(model):
    """True if every graph input and output is a plain tensor."""
    for v in list(model.graph.input) + list(model.graph.output):
        if v.type.WhichOneof("value") != "tensor_type":
            return False
    return True


def _write_case(case, d):
    import numpy as np
    import onnx
    from onnx import numpy_helper
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    if not _tensor_io(case.model):
        kinds = sorted({v.type.WhichOneof("value") for v in
                        list(case.model.graph.input) + list(case.model.graph.output)} - {"tensor_type"})
        raise ValueError("graph inputs/outputs of type %s" % ", ".join(kinds))
    for i, (ins, outs) in enumerate(case.data_sets):
        dd = os.path.join(d, "test_data_set_%d" % i)
        os.makedirs(dd, exist_ok=True)
        for kind, vals, infos in (("input", ins, case.model.graph.input),
                                  ("output", outs, case.model.graph.output)):
            for j, x in enumerate(vals):
                if isinstance(x, onnx.TensorProto):
                    t = x
                else:
                    if isinstance(x, (list, tuple, dict)) or x is None:
                        raise ValueError("%s %d is a %s, not a tensor" % (kind, j, type(x).__name__))
                    t = numpy_helper.from_array(np.asarray(x), infos[j].name)
                with open(os.path.join(dd, "%s_%d.pb" % (kind, j)), "wb") as f:
                    f.write(t.SerializeToString())


def generate_into(out, only=()):
    """Write every case (or those whose name contains one of `only`) into out.
    Returns the number of cases written."""
    warnings.filterwarnings("ignore")
    import onnx.backend.test.case.node as node
    n = 0
    for case in node.collect_testcases(None):
        if only and not any(o in case.name for o in only):
            continue
        d = os.path.join(out, case.name)
        try:
            _write_case(case, d)
        except Exception as e:  # sequence / optional / map values
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "model.onnx"), "wb") as f:
                f.write(case.model.SerializeToString())
            with open(os.path.join(d, "NOT_TENSOR"), "w") as f:
                f.write("%s\n" % e)
        n += 1
    return n


def generate(cache, log=print):
    """Make sure cache holds every case for the installed onnx; returns cache.
    Regenerates (into a temporary directory, then renamed) when the stamp
    is missing or names another onnx version."""
    stamp_path = os.path.join(cache, ".stamp")
    want = _stamp()
    try:
        with open(stamp_path) as f:
            if f.read() == want:
                return cache
    except OSError:
        pass
    tmp = cache.rstrip("/") + ".tmp%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log("generating ONNX node tests (%s) into %s" % (want.strip(), cache))
    n = generate_into(tmp)
    with open(os.path.join(tmp, ".stamp"), "w") as f:
        f.write(want)
    shutil.rmtree(cache, ignore_errors=True)
    os.rename(tmp, cache)
    log("generated %d cases" % n)
    return cache


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: gen_node_tests.py OUTDIR [SUBSTRING...]")
    print("%d cases written" % generate_into(sys.argv[1], sys.argv[2:]))
