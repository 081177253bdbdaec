/*
 * viz_graph.c - `kiln inspect --dot/--svg/--png`: the optimized graph as
 * Graphviz DOT, and the helpers both pictures share (op families and their
 * colours, op labels with fused epilogues, shapes, byte counts, escaping).
 *
 * Picture: one box per node in schedule order, headed by its op and fused
 * epilogue ("Conv + Add + Relu"), then the node name and a one-line summary
 * (kernel, stride, padding, groups, channels); graph inputs and outputs are
 * ellipses; every edge carries its tensor's dtype[dims]. Constants (weights)
 * are not drawn: the summary line says what matters about them. Nodes that
 * move no bytes (views, zero-copy Concat) are dashed and say so, and an op
 * that writes over its input says "in place".
 *
 * Rendering runs Graphviz's `dot` (posix_spawnp) on a temporary file; --dot
 * writes the text alone, for machines without Graphviz.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kk.h"
#include "viz.h"

extern char **environ;

/* ------------------------------------------------------ shared helpers */

/* Families by ONNX name (names, not OP_* constants, so this file builds
 * whichever op families the table has); unlisted ops go by their flags. */
static const struct {
    const char *name;
    VizCategory cat;
} cat_by_name[] = {
    {"Conv", VC_COMPUTE}, {"ConvTranspose", VC_COMPUTE}, {"Gemm", VC_COMPUTE}, {"MatMul", VC_COMPUTE},
    {"Einsum", VC_COMPUTE},
    {"MaxPool", VC_POOL}, {"AveragePool", VC_POOL}, {"GlobalAveragePool", VC_POOL},
    {"GlobalMaxPool", VC_POOL}, {"LpPool", VC_POOL}, {"MaxRoiPool", VC_POOL}, {"RoiAlign", VC_POOL},
    {"BatchNormalization", VC_NORM}, {"LayerNormalization", VC_NORM}, {"GroupNormalization", VC_NORM},
    {"InstanceNormalization", VC_NORM}, {"LpNormalization", VC_NORM}, {"LRN", VC_NORM},
    {"Softmax", VC_NORM}, {"LogSoftmax", VC_NORM}, {"Hardmax", VC_NORM},
    {"Concat", VC_MOVEMENT}, {"Split", VC_MOVEMENT}, {"Slice", VC_MOVEMENT}, {"Pad", VC_MOVEMENT},
    {"Transpose", VC_MOVEMENT}, {"Resize", VC_MOVEMENT}, {"Upsample", VC_MOVEMENT},
    {"DepthToSpace", VC_MOVEMENT}, {"SpaceToDepth", VC_MOVEMENT}, {"Tile", VC_MOVEMENT},
    {"Expand", VC_MOVEMENT}, {"Gather", VC_MOVEMENT}, {"GatherElements", VC_MOVEMENT},
    {"GatherND", VC_MOVEMENT}, {"ScatterND", VC_MOVEMENT}, {"ScatterElements", VC_MOVEMENT},
    {"Scatter", VC_MOVEMENT},
    {"ArgMax", VC_REDUCE}, {"ArgMin", VC_REDUCE}, {"TopK", VC_REDUCE}, {"CumSum", VC_REDUCE},
};

VizCategory viz_category(OpKind op) {
    const char *name = op_name(op);
    for (size_t i = 0; i < sizeof cat_by_name / sizeof cat_by_name[0]; i++)
        if (!strcmp(name, cat_by_name[i].name)) return cat_by_name[i].cat;
    if (!strncmp(name, "Reduce", 6)) return VC_REDUCE;
    if (op_table[op].flags & OPF_SHAPE_ONLY) return VC_MOVEMENT;
    if (op_table[op].flags & OPF_ELEMENTWISE) return VC_ELEMENTWISE;
    return VC_OTHER;
}

static const struct {
    const char *name, *fill, *color;
} cat_style[VC_COUNT_] = {
    [VC_COMPUTE] = {"conv / matmul", "#cfe2f3", "#5b9bd5"},
    [VC_POOL] = {"pooling", "#d9ead3", "#70ad47"},
    [VC_NORM] = {"normalization / softmax", "#fce5cd", "#ed9a3c"},
    [VC_ELEMENTWISE] = {"elementwise", "#fff2cc", "#e6c229"},
    [VC_MOVEMENT] = {"data movement", "#ead1dc", "#a77bca"},
    [VC_REDUCE] = {"reduction", "#d0e0e3", "#45a5a5"},
    [VC_OTHER] = {"other", "#eeeeee", "#9e9e9e"},
};

const char *viz_category_name(VizCategory c) { return cat_style[c].name; }
const char *viz_category_fill(VizCategory c) { return cat_style[c].fill; }
const char *viz_category_color(VizCategory c) { return cat_style[c].color; }

/* ONNX names of the KK_UN_* codes a fused epilogue may carry. */
static const char *const act_names[KK_UN_COUNT_] = {
    [KK_UN_RELU] = "Relu", [KK_UN_LEAKY_RELU] = "LeakyRelu", [KK_UN_SIGMOID] = "Sigmoid",
    [KK_UN_TANH] = "Tanh", [KK_UN_HARD_SIGMOID] = "HardSigmoid", [KK_UN_HARD_SWISH] = "HardSwish",
    [KK_UN_SOFTPLUS] = "Softplus", [KK_UN_ELU] = "Elu", [KK_UN_GELU] = "Gelu",
    [KK_UN_GELU_TANH] = "Gelu(tanh)", [KK_UN_CLIP] = "Clip", [KK_UN_SILU] = "Silu",
    [KK_UN_MISH] = "Mish", [KK_UN_CELU] = "Celu", [KK_UN_SELU] = "Selu", [KK_UN_SOFTSIGN] = "Softsign",
    [KK_UN_THRESHOLDED_RELU] = "ThresholdedRelu", [KK_UN_SHRINK] = "Shrink", [KK_UN_SWISH] = "Swish",
};

static bool has_epilogue(const Node *n) { return n->op == OP_CONV || n->op == OP_GEMM; }

void viz_op_label(const Node *n, char *buf, size_t cap) {
    size_t len = (size_t)snprintf(buf, cap, "%s", op_name(n->op));
    if (!has_epilogue(n) || len >= cap) return;
    if (n->ninputs > 3 && n->inputs[3]) len += (size_t)snprintf(buf + len, cap - len, " + Add");
    int act = n->a.conv.act;
    if (!act || len >= cap) return;
    if (act == KK_UN_CLIP)
        snprintf(buf + len, cap - len, " + Clip(%g, %g)", n->a.conv.act_alpha, n->a.conv.act_beta);
    else if (act > 0 && act < KK_UN_COUNT_ && act_names[act])
        snprintf(buf + len, cap - len, " + %s", act_names[act]);
    else
        snprintf(buf + len, cap - len, " + act %d", act);
}

void viz_shape(const Value *v, char *buf, size_t cap) {
    size_t len = (size_t)snprintf(buf, cap, "%s[", dtype_name(v->dtype));
    for (int i = 0; i < v->rank && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? "x%lld" : "%lld", (long long)v->dims[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

void viz_bytes(int64_t bytes, char *buf, size_t cap) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, cap, "%lld B", (long long)bytes);
        return;
    }
    double x = (double)bytes;
    int u = 0;
    while (x >= 1024.0 && u < 4) {
        x /= 1024.0;
        u++;
    }
    snprintf(buf, cap, x < 10.0 ? "%.2f %s" : x < 100.0 ? "%.1f %s" : "%.0f %s", x, units[u]);
}

void viz_xml_text(Emitter *e, const char *s) {
    const char *run = s;
    for (; *s; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;
        if (!rep) continue;
        emit_raw(e, run, (size_t)(s - run));
        emit_raw(e, rep, strlen(rep));
        run = s + 1;
    }
    emit_raw(e, run, (size_t)(s - run));
}

int viz_write_file(const char *path, const char *text, size_t len, Diag *d) {
    FILE *f = fopen(path, "wb");
    if (!f) return diag_error(d, NULL, "cannot write '%s': %s", path, strerror(errno));
    size_t w = fwrite(text, 1, len, f);
    int bad = w != len || ferror(f);
    if (fclose(f) || bad) return diag_error(d, NULL, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* -------------------------------------------------------------- labels */

/* " s2" / " p1" from per-axis values: once when all agree, else each,
 * separated by sep (" s2x1", " p0,0,1,1"). */
static size_t axes_text(char *buf, size_t cap, const char *prefix, const int64_t *v, int n, char sep) {
    bool same = true;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    size_t len = (size_t)snprintf(buf, cap, "%s", prefix);
    for (int i = 0; i < (same ? 1 : n) && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? (char[2]){sep, 0} : "", (long long)v[i]);
    return len;
}

static bool any_not(const int64_t *v, int n, int64_t x) {
    for (int i = 0; i < n; i++)
        if (v[i] != x) return true;
    return false;
}

/* Window geometry: "3x3 s2 p1 d2" (the kernel spelled out even when
 * square; strides, pads, dilations once when every axis agrees, pads
 * begin-then-end when the two sides differ). */
static size_t window_text(char *buf, size_t cap, int nsp, const int64_t *kernel, const int64_t *strides,
                          const int64_t *pads, const int64_t *dil) {
    char tmp[96];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < nsp && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? "x%lld" : "%lld", (long long)kernel[i]);
    if (any_not(strides, nsp, 1) && len < cap) {
        axes_text(tmp, sizeof tmp, " s", strides, nsp, 'x');
        len += (size_t)snprintf(buf + len, cap - len, "%s", tmp);
    }
    if (any_not(pads, 2 * nsp, 0) && len < cap) {
        bool symmetric = !memcmp(pads, pads + nsp, sizeof(int64_t) * (size_t)nsp);
        axes_text(tmp, sizeof tmp, " p", pads, symmetric ? nsp : 2 * nsp, ',');
        len += (size_t)snprintf(buf + len, cap - len, "%s", tmp);
    }
    if (any_not(dil, nsp, 1) && len < cap) {
        axes_text(tmp, sizeof tmp, " d", dil, nsp, 'x');
        len += (size_t)snprintf(buf + len, cap - len, "%s", tmp);
    }
    return len;
}

static int64_t channels(const Value *v) { return v && v->rank >= 2 ? v->dims[1] : 0; }

/* The node's one-line summary: what its weights and attributes make it. */
static void summary(const Node *n, char *buf, size_t cap) {
    const char *op = op_name(n->op);
    const Value *x = n->ninputs ? n->inputs[0] : NULL;
    const Value *y = n->noutputs ? n->outputs[0] : NULL;
    size_t len = 0;
    buf[0] = 0;
    if (n->op == OP_CONV) {
        const ConvAttrs *a = &n->a.conv;
        len = window_text(buf, cap, a->nsp, a->kernel, a->strides, a->pads, a->dilations);
        int64_t cin = channels(x), cout = channels(y);
        if (a->group > 1 && a->group == cin && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, " depthwise");
        else if (a->group > 1 && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, " g%lld", (long long)a->group);
        if (len < cap) snprintf(buf + len, cap - len, ", %lld\u2192%lld", (long long)cin, (long long)cout);
    } else if (!strcmp(op, "ConvTranspose")) {
        const DenseAttrs *a = &n->a.dense;
        len = window_text(buf, cap, a->nsp, a->kernel, a->strides, a->pads, a->dilations);
        if (a->group > 1 && len < cap) len += (size_t)snprintf(buf + len, cap - len, " g%lld", (long long)a->group);
        if (len < cap) snprintf(buf + len, cap - len, ", %lld\u2192%lld", (long long)channels(x), (long long)channels(y));
    } else if (n->op == OP_MAX_POOL || n->op == OP_AVG_POOL) {
        const ConvAttrs *a = &n->a.conv;
        len = window_text(buf, cap, a->nsp, a->kernel, a->strides, a->pads, a->dilations);
        if (a->ceil_mode && len < cap) snprintf(buf + len, cap - len, " ceil");
    } else if (n->op == OP_GEMM && x && y && y->rank == 2) {
        int64_t k = x->rank == 2 ? x->dims[n->a.conv.trans_a ? 0 : 1] : 0;
        snprintf(buf, cap, "%lld\u2192%lld", (long long)k, (long long)y->dims[1]);
    } else if (n->op == OP_CONCAT || n->op == OP_SPLIT || n->op == OP_GATHER || n->op == OP_FLATTEN) {
        snprintf(buf, cap, "axis %d", n->a.shape.axis);
    } else if (n->op == OP_SOFTMAX || n->op == OP_LOG_SOFTMAX) {
        snprintf(buf, cap, "axis %d", n->a.reduce.axis);
    } else if (n->op == OP_TRANSPOSE && x) {
        len = (size_t)snprintf(buf, cap, "perm ");
        for (int i = 0; i < x->rank && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, i ? ",%lld" : "%lld", (long long)n->a.shape.transpose.perm[i]);
    } else if ((!strcmp(op, "Resize") || !strcmp(op, "Upsample")) && x) {
        const DenseAttrs *a = &n->a.dense;
        static const char *const modes[] = {"nearest", "linear", "cubic"};
        len = (size_t)snprintf(buf, cap, "\u00d7");
        for (int i = 2; i < x->rank && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, i > 2 ? "x%g" : "%g", a->scales[i]);
        if (a->mode >= 0 && a->mode < 3 && len < cap) snprintf(buf + len, cap - len, " %s", modes[a->mode]);
    }
}

/* Node names can be long paths ("/layer1/layer1.0/conv1/Conv"): keep the
 * tail, which tells nodes apart, and mark the cut. */
static void short_name(const char *s, char *buf, size_t cap, size_t keep) {
    size_t len = strlen(s);
    if (len <= keep) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    const char *t = s + len - keep;
    while (((unsigned char)*t & 0xC0) == 0x80) t++; /* not inside a UTF-8 sequence */
    snprintf(buf, cap, "\u2026%s", t);
}

/* ----------------------------------------------------------------- DOT */

/* What an op does to memory, when it is special: a view or zero-copy
 * Concat (elided), or an output written over its input. */
static const char *memory_note(const Node *n) {
    if (n->elided) return n->op == OP_CONCAT ? "zero-copy: inputs written in place" : "view: no copy";
    const Value *y = n->noutputs ? n->outputs[0] : NULL;
    if (y && y->alias_of >= 0)
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] && n->inputs[k]->id == y->alias_of) return "in place";
    return NULL;
}

static void dot_string(Emitter *e, const char *s) {
    emit(e, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') emit(e, "\\%c", *s);
        else emit(e, "%c", *s);
    }
    emit(e, "\"");
}

static void emit_node(Emitter *e, const Node *n, int step) {
    char label[160], sum[160], name[80], shape[160], bytes[32];
    viz_op_label(n, label, sizeof label);
    summary(n, sum, sizeof sum);
    short_name(n->name, name, sizeof name, 36);
    const char *note = memory_note(n);
    VizCategory c = viz_category(n->op);
    emit(e, "  n%d [id=\"op_%d\", label=<<B>", n->id, step);
    viz_xml_text(e, label);
    emit(e, "</B><BR/><FONT POINT-SIZE=\"8\" COLOR=\"#555555\">");
    viz_xml_text(e, name);
    emit(e, "</FONT>");
    if (sum[0]) {
        emit(e, "<BR/><FONT POINT-SIZE=\"9\">");
        viz_xml_text(e, sum);
        emit(e, "</FONT>");
    }
    if (note) {
        emit(e, "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"#a61c00\"><I>");
        viz_xml_text(e, note);
        emit(e, "</I></FONT>");
    }
    emit(e, ">");
    if (n->elided) emit(e, ", style=\"rounded,dashed,filled\", fillcolor=\"#ffffff\"");
    else emit(e, ", fillcolor=\"%s\"", viz_category_fill(c));
    /* tooltip: step, name, each output with its bytes and arena offset */
    char tip[1024];
    size_t len = (size_t)snprintf(tip, sizeof tip, "step %d: %s '%s'", step, label, n->name);
    for (int k = 0; k < n->noutputs && len < sizeof tip; k++) {
        const Value *y = n->outputs[k];
        if (!y) continue;
        viz_shape(y, shape, sizeof shape);
        viz_bytes((int64_t)value_bytes(y), bytes, sizeof bytes);
        len += (size_t)snprintf(tip + len, sizeof tip - len, "; out '%s' %s, %s", y->name, shape, bytes);
        if (len < sizeof tip && y->kind == VK_INTER && y->output_index < 0 && y->offset >= 0)
            len += (size_t)snprintf(tip + len, sizeof tip - len, " at arena offset %lld", (long long)y->offset);
    }
    emit(e, ", tooltip=");
    dot_string(e, tip);
    emit(e, "];\n");
}

static void emit_io(Emitter *e, const char *kind, int k, const Value *v) {
    char shape[160];
    viz_shape(v, shape, sizeof shape);
    bool in = kind[0] == 'i';
    emit(e, "  %s%d [id=\"%s_%d\", shape=ellipse, style=filled, fillcolor=\"%s\", margin=\"0.15,0.03\", "
         "label=<<FONT POINT-SIZE=\"8\">%s</FONT><BR/><B>", in ? "in" : "out", k, kind, k, in ? "#b6d7a8" : "#f4cccc", kind);
    viz_xml_text(e, v->name);
    emit(e, "</B><BR/><FONT POINT-SIZE=\"9\">%s%s</FONT>>, tooltip=", shape, v->kind == VK_CONST ? " (constant)" : "");
    dot_string(e, v->name);
    emit(e, "];\n");
}

/* DOT id of the node (or graph input) that makes v, or NULL for constants. */
static const char *source_of(const Graph *g, const Value *v, char *buf, size_t cap) {
    if (v->producer) {
        snprintf(buf, cap, "n%d", v->producer->id);
        return buf;
    }
    for (int i = 0; i < g->ninputs; i++)
        if (g->inputs[i] == v) {
            snprintf(buf, cap, "in%d", i);
            return buf;
        }
    return NULL;
}

static void emit_edge(Emitter *e, const char *from, const char *to, const Value *v, bool dashed) {
    char shape[160];
    viz_shape(v, shape, sizeof shape);
    emit(e, "  %s -> %s [label=", from, to);
    dot_string(e, shape);
    emit(e, ", tooltip=");
    dot_string(e, v->name);
    if (dashed) emit(e, ", style=dashed");
    emit(e, "];\n");
}

int viz_graph_dot(const Graph *g, Emitter *e, Diag *d) {
    char a[32], w[32], src[32], dst[32];
    int elided = 0;
    bool used[VC_COUNT_] = {false};
    for (int s = 0; s < g->nnodes; s++) {
        elided += g->nodes[s]->elided;
        used[viz_category(g->nodes[s]->op)] = true;
    }
    viz_bytes(g->arena_size, a, sizeof a);
    viz_bytes(g->weights_size, w, sizeof w);
    emit(e, "digraph kiln {\n");
    emit(e, "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, nodesep=0.25, ranksep=0.3, "
            "labelloc=t, labeljust=l, label=<<B>");
    viz_xml_text(e, g->name);
    emit(e, "</B>: %d nodes after optimization (%d move no bytes); arena %s, weights %s<BR/>"
            "<FONT POINT-SIZE=\"9\">", g->nnodes, elided, a, w);
    for (int c = 0; c < VC_COUNT_; c++)
        if (used[c]) {
            emit(e, "<FONT COLOR=\"%s\">\u25a0</FONT> ", viz_category_color((VizCategory)c));
            viz_xml_text(e, viz_category_name((VizCategory)c));
            emit(e, "&#160;&#160; ");
        }
    emit(e, "dashed: moves no bytes</FONT><BR/>>];\n");
    emit(e, "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, "
            "color=\"#666666\", margin=\"0.12,0.04\"];\n");
    emit(e, "  edge [fontname=\"Helvetica\", fontsize=8, fontcolor=\"#444444\", color=\"#888888\", arrowsize=0.6];\n");
    for (int i = 0; i < g->ninputs; i++) emit_io(e, "input", i, g->inputs[i]);
    for (int s = 0; s < g->nnodes; s++) emit_node(e, g->nodes[s], s);
    for (int i = 0; i < g->noutputs; i++) emit_io(e, "output", i, g->outputs[i]);
    for (int s = 0; s < g->nnodes; s++) {
        const Node *n = g->nodes[s];
        snprintf(dst, sizeof dst, "n%d", n->id);
        for (int k = 0; k < n->ninputs; k++) {
            const Value *v = n->inputs[k];
            if (!v || v->kind == VK_CONST) continue;
            const char *from = source_of(g, v, src, sizeof src);
            if (from) emit_edge(e, from, dst, v, n->elided);
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        const char *from = source_of(g, g->outputs[i], src, sizeof src);
        snprintf(dst, sizeof dst, "out%d", i);
        if (from) emit_edge(e, from, dst, g->outputs[i], false);
    }
    emit(e, "}\n");
    if (e->oom) return diag_error(d, NULL, "out of memory writing the graph picture");
    return 0;
}

/* ----------------------------------------------------------- rendering */

int viz_render_dot(const char *dot_text, size_t len, const char *format, const char *out, Diag *d) {
    const char *tmpdir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/kiln-viz-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) return diag_error(d, NULL, "cannot create a temporary file in %s: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, dot_text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int err = errno;
            close(fd);
            unlink(tmp);
            return diag_error(d, NULL, "cannot write '%s': %s", tmp, strerror(err));
        }
        done += (size_t)w;
    }
    close(fd);
    char fmt[16];
    snprintf(fmt, sizeof fmt, "-T%s", format);
    char *argv[] = {"dot", fmt, "-o", (char *)out, tmp, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    unlink(tmp);
    /* glibc reports a missing program from posix_spawnp; others exit 127 */
    if (rc == ENOENT || (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127))
        return diag_error(d, NULL, "cannot run 'dot' for --%s: Graphviz is not installed (install the graphviz "
                          "package, e.g. `apt-get install graphviz`), or write the DOT text with --dot FILE",
                          format);
    if (rc) return diag_error(d, NULL, "cannot run 'dot': %s", strerror(rc));
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return diag_error(d, NULL, "'dot -T%s' failed (exit status %d) writing '%s'", format,
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    return 0;
}
