/*
 * ops_norm.c - the norm family of the ops table: the normalizations that
 * compute their own statistics (LayerNormalization, GroupNormalization,
 * InstanceNormalization), LpNormalization, and Einsum.
 *
 * Pipeline position: parse and infer run in ir_infer (raw attributes ->
 * NormAttrs, shapes); exec is called by constant folding; emit by the C
 * backend. exec and the generated code call the same kernels
 * (kernels/ref/norm.c) with the same arguments, both worked out here by one
 * plan function per kernel, so folded constants equal run-time results.
 *
 * The three statistics normalizations share kk_normalize: each describes
 * its input as rows (statistics) times a contiguous block (normalized
 * elements) plus scale/bias strides over that view, and the plan merges
 * adjacent dims whose strides allow it, so the common LayerNorm over the
 * last axis is a two-dim loop.
 *
 * Einsum is planned at compile time as one loop over (output indices x
 * contracted indices): the equation is parsed here (explicit "->" and
 * implicit output, "..." broadcasting, repeated subscripts as diagonals) and
 * turned into per-operand strides for each loop index.
 */
#include <inttypes.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ------------------------------------------------------------- helpers */

static const DType float_types[] = {DT_F32, DT_F64, DT_UNDEF};

/* Optional tensor k, or NULL when omitted. */
static const Value *opt_input(const Node *n, int k)
{
    return k < n->ninputs ? n->inputs[k] : NULL;
}

/* Input k must be present and have x's dtype. */
static int same_dtype(const Node *n, int k, const char *what, Diag *d)
{
    const Value *v = opt_input(n, k), *x = n->inputs[0];
    if (!v)
        return diag_error(d, n, "input %d (%s) is required", k, what);
    if (v->dtype != x->dtype)
        return diag_error(d, n, "input %d (%s) has dtype %s, but X is %s", k, what,
                          dtype_name(v->dtype), dtype_name(x->dtype));
    return 0;
}

/* "[2,3,4]" into buf, for messages. */
static const char *shape_str(const Value *v, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    len += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < v->rank && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ",%" PRId64 : "%" PRId64, v->dims[i]);
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
    return buf;
}

/* --------------------------------------------------------------- parse */

/* stash_type: the type of the statistics. kiln accumulates in double and
 * rounds the mean and inverse deviation to this type before using them, as
 * the spec's function does; it is also the dtype of LayerNorm's Mean and
 * InvStdDev outputs. */
static int parse_stash(Graph *g, Node *n, NormAttrs *a, Diag *d)
{
    int err = 0;
    int64_t v = attr_int(g, n, "stash_type", 1, d, &err);
    if (err)
        return -1;
    if (v == DT_F32)
        a->stat_dtype = DT_F32;
    else if (v == DT_F64)
        a->stat_dtype = DT_F64;
    else
        return diag_error(d, n, "unsupported attribute value stash_type=%" PRId64
                          " (kiln supports 1 = float and 11 = double)", v);
    return 0;
}

/* An axis attribute, range-checked so a huge value cannot wrap. */
static int parse_axis(Graph *g, Node *n, NormAttrs *a, Diag *d)
{
    int err = 0;
    int64_t v = attr_int(g, n, "axis", -1, d, &err);
    if (err)
        return -1;
    if (v < -KILN_MAX_RANK || v >= KILN_MAX_RANK)
        return diag_error(d, n, "attribute axis=%" PRId64 " is out of range", v);
    a->axis = (int)v;
    return 0;
}

int norm_parse(Graph *g, Node *n, Diag *d)
{
    NormAttrs *a = &n->a.norm;
    int opset = n->opset;
    int err = 0;

    memset(a, 0, sizeof *a);
    a->stat_dtype = DT_F32;
    switch (n->op) {
    case OP_LAYER_NORM:
        if (parse_axis(g, n, a, d) || parse_stash(g, n, a, d))
            return -1;
        a->epsilon = attr_float(g, n, "epsilon", 1e-5, d, &err);
        return err ? -1 : 0;
    case OP_GROUP_NORM:
        if (!ir_attr_find(n, "num_groups"))
            return diag_error(d, n, "attribute 'num_groups' is required");
        a->num_groups = attr_int(g, n, "num_groups", 1, d, &err);
        a->epsilon = attr_float(g, n, "epsilon", 1e-5, d, &err);
        if (err)
            return -1;
        if (a->num_groups < 1)
            return diag_error(d, n, "attribute num_groups=%" PRId64 " must be >= 1", a->num_groups);
        /* Opset 18 defined scale and bias per group; opset 21 changed them
         * to per channel (and added stash_type). */
        a->per_channel = opset >= 21;
        return parse_stash(g, n, a, d);
    case OP_INSTANCE_NORM:
        a->epsilon = attr_float(g, n, "epsilon", 1e-5, d, &err);
        return err ? -1 : 0;
    case OP_LP_NORM: {
        if (parse_axis(g, n, a, d))
            return -1;
        int64_t p = attr_int(g, n, "p", 2, d, &err);
        if (err)
            return -1;
        if (p != 1 && p != 2)
            return diag_error(d, n, "unsupported attribute value p=%" PRId64
                              " (LpNormalization is defined for p=1 and p=2)", p);
        a->p = (int)p;
        return 0;
    }
    case OP_EINSUM:
        a->equation = attr_string(g, n, "equation", NULL, d, &err);
        if (err)
            return -1;
        if (!a->equation)
            return diag_error(d, n, "attribute 'equation' is required");
        return 0;
    default:
        return diag_internal(d, "norm_parse called for op %s", op_name(n->op));
    }
}

/* ------------------------------------------------- normalization plans */

/* The arguments of one kk_normalize call (see kk_norm.h). */
typedef struct NormPlan {
    int rank, axis;                  /* dims [0, axis) are rows, [axis, rank) a row's elements */
    int64_t dims[KILN_MAX_RANK];
    int64_t sstr[KILN_MAX_RANK];     /* scale strides per dim (0: broadcast) */
    int64_t bstr[KILN_MAX_RANK];     /* bias strides per dim */
} NormPlan;

/* Fill p from a view (dims, strides, axis): size-1 dims are dropped and
 * neighbours on the same side of axis merged where both stride sets allow,
 * i.e. the outer dim's stride is the inner one's times its extent. */
static void plan_merge(NormPlan *p, int rank, const int64_t *dims, const int64_t *ss,
                       const int64_t *bs, int axis)
{
    int nrow = 0, last_side = -1;
    p->rank = 0;
    for (int k = 0; k < rank; k++) {
        int side = k >= axis;
        if (dims[k] == 1)
            continue;
        int t = p->rank - 1;
        if (t >= 0 && last_side == side && p->sstr[t] == ss[k] * dims[k] &&
            p->bstr[t] == bs[k] * dims[k]) {
            p->dims[t] *= dims[k];
            p->sstr[t] = ss[k];
            p->bstr[t] = bs[k];
        } else {
            p->dims[p->rank] = dims[k];
            p->sstr[p->rank] = ss[k];
            p->bstr[p->rank] = bs[k];
            p->rank++;
            nrow += !side;
        }
        last_side = side;
    }
    if (p->rank == nrow) {   /* every normalized dim had size 1: keep one */
        p->dims[p->rank] = 1;
        p->sstr[p->rank] = 0;
        p->bstr[p->rank] = 0;
        p->rank++;
    }
    p->axis = nrow;
}

/* Strides of parameter tensor w (unidirectionally broadcast to x, aligned
 * at the right) over x's dims; an absent w gives all zeros. */
static int bcast_strides(const Node *n, int k, const char *what, const Value *x, int64_t *str, Diag *d)
{
    const Value *w = opt_input(n, k);
    char b1[96], b2[96];
    memset(str, 0, sizeof(int64_t) * (size_t)x->rank);
    if (!w)
        return 0;
    if (w->rank > x->rank)
        return diag_error(d, n, "input %d (%s) of shape %s has a higher rank than X %s", k, what,
                          shape_str(w, b1, sizeof b1), shape_str(x, b2, sizeof b2));
    int64_t s = 1;
    for (int j = w->rank - 1; j >= 0; j--) {
        int xk = j + x->rank - w->rank;
        if (w->dims[j] != 1 && w->dims[j] != x->dims[xk])
            return diag_error(d, n, "input %d (%s) of shape %s does not broadcast to X %s", k, what,
                              shape_str(w, b1, sizeof b1), shape_str(x, b2, sizeof b2));
        str[xk] = w->dims[j] == 1 ? 0 : s;
        s *= w->dims[j];
    }
    return 0;
}

/* Input k (scale or bias of Group/InstanceNorm) must hold `want` values. */
static int param_count(const Node *n, int k, const char *what, int64_t want, const char *per, Diag *d)
{
    const Value *w = opt_input(n, k);
    char b[96];
    if (value_numel(w) != want || w->rank > 1)
        return diag_error(d, n, "input %d (%s) has shape %s; expected [%" PRId64 "] (one value per %s)",
                          k, what, shape_str(w, b, sizeof b), want, per);
    return 0;
}

/* Build the kk_normalize plan of a LayerNorm / GroupNorm / InstanceNorm
 * node, checking the parameter shapes on the way (infer reports; exec and
 * emit rebuild the same plan). */
static int norm_plan(const Node *n, NormPlan *p, Diag *d)
{
    const NormAttrs *a = &n->a.norm;
    const Value *x = n->inputs[0];
    int64_t dims[KILN_MAX_RANK], ss[KILN_MAX_RANK], bs[KILN_MAX_RANK];
    int64_t spatial = 1;

    if (n->op == OP_LAYER_NORM) {
        if (bcast_strides(n, 1, "Scale", x, ss, d) || bcast_strides(n, 2, "B", x, bs, d))
            return -1;
        plan_merge(p, x->rank, x->dims, ss, bs, a->axis);
        return 0;
    }
    if (x->rank < 2)
        return diag_error(d, n, "input 0 (X) must have rank >= 2 (N x C x ...), not %d", x->rank);
    for (int k = 2; k < x->rank; k++)
        spatial *= x->dims[k];
    const int64_t N = x->dims[0], C = x->dims[1];
    if (n->op == OP_INSTANCE_NORM) {
        if (param_count(n, 1, "scale", C, "channel", d) || param_count(n, 2, "B", C, "channel", d))
            return -1;
        /* [N, C, S]: statistics per (n, c), parameters per c */
        const int64_t v[3] = {N, C, spatial}, s[3] = {0, 1, 0};
        plan_merge(p, 3, v, s, s, 2);
        return 0;
    }
    /* GroupNorm: [N, G, C/G, S], statistics per (n, g) */
    const int64_t G = a->num_groups;
    if (C % G != 0)
        return diag_error(d, n, "num_groups=%" PRId64 " does not divide the %" PRId64 " channels", G, C);
    const int64_t want = a->per_channel ? C : G;
    const char *per = a->per_channel ? "channel (opset >= 21)" : "group (opset 18)";
    if (param_count(n, 1, "scale", want, per, d) || param_count(n, 2, "bias", want, per, d))
        return -1;
    dims[0] = N;
    dims[1] = G;
    dims[2] = C / G;
    dims[3] = spatial;
    ss[0] = 0;
    ss[1] = a->per_channel ? C / G : 1;
    ss[2] = a->per_channel ? 1 : 0;
    ss[3] = 0;
    memcpy(bs, ss, sizeof(int64_t) * 4);
    plan_merge(p, 4, dims, ss, bs, 2);
    return 0;
}

/* ------------------------------------------------------------ einsum plan */

#define EIN_LETTERS 52                            /* 'A'..'Z' then 'a'..'z' (ASCII order) */
#define EIN_SLOTS (EIN_LETTERS + KILN_MAX_RANK)   /* letters, then one slot per "..." dim */
#define EIN_MAX_EQ 512                            /* equation length without spaces */

_Static_assert(KILN_MAX_IN <= KK_EIN_MAX_IN, "every Einsum operand must fit kk_einsum");
_Static_assert(KILN_MAX_RANK <= KK_EIN_MAX_AXES, "an Einsum output must fit kk_einsum");

/* The arguments of one kk_einsum call (see kk_norm.h). */
typedef struct EinPlan {
    int nin, nout, nsum;                          /* operands; output / contracted loop axes */
    int64_t dims[KK_EIN_MAX_AXES];                /* extent of each loop axis */
    int64_t str[KILN_MAX_IN][KK_EIN_MAX_AXES];    /* operand k's stride for loop axis a */
} EinPlan;

static int ein_slot(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return 26 + (c - 'a');
    return -1;
}

/* A slot's name in messages. */
static char ein_char(int s)
{
    return s < 26 ? (char)('A' + s) : s < EIN_LETTERS ? (char)('a' + s - 26) : '.';
}

/* One operand term: its letters in order and where "..." stands. */
typedef struct EinTerm {
    int nl;                        /* letters */
    int slots[KILN_MAX_RANK];      /* their slots */
    int ell;                       /* letters before "...", -1 when there is none */
} EinTerm;

/* Parse s[0, len) (no spaces) into t. which: operand index, or -1 for the
 * output term. */
static int ein_term(const Node *n, const char *s, size_t len, int which, EinTerm *t, Diag *d)
{
    const char *what = which < 0 ? "the output term" : "an input term";
    t->nl = 0;
    t->ell = -1;
    for (size_t i = 0; i < len; i++) {
        int sl = ein_slot(s[i]);
        if (sl >= 0) {
            if (t->nl >= KILN_MAX_RANK)
                return diag_error(d, n, "equation: %s '%.*s' has more than %d subscripts", what,
                                  (int)len, s, KILN_MAX_RANK);
            t->slots[t->nl++] = sl;
        } else if (s[i] == '.' && i + 3 <= len && s[i + 1] == '.' && s[i + 2] == '.') {
            if (t->ell >= 0)
                return diag_error(d, n, "equation: %s '%.*s' has '...' twice", what, (int)len, s);
            t->ell = t->nl;
            i += 2;
        } else if (s[i] > ' ' && s[i] < 0x7f) {
            return diag_error(d, n, "equation: invalid character '%c' in %s '%.*s'", s[i], what,
                              (int)len, s);
        } else {
            return diag_error(d, n, "equation: invalid byte 0x%02x in %s", (unsigned)(unsigned char)s[i],
                              what);
        }
    }
    return 0;
}

/* Parse the equation against the operand shapes into a loop plan and the
 * output's shape (out_dims, *out_rank). */
static int ein_plan(const Node *n, EinPlan *p, int64_t *out_dims, int *out_rank, Diag *d)
{
    const char *src = n->a.norm.equation;
    char eq[EIN_MAX_EQ + 1];
    size_t len = 0;
    EinTerm terms[KILN_MAX_IN];
    int ne[KILN_MAX_IN];           /* dims each operand's "..." stands for */
    int nterm = 0, E = 0;

    for (const char *c = src; *c; c++) {
        if (*c == ' ')
            continue;
        if (len == EIN_MAX_EQ)
            return diag_error(d, n, "unsupported: equation longer than %d characters", EIN_MAX_EQ);
        eq[len++] = *c;
    }
    eq[len] = 0;
    if (len == 0)
        return diag_error(d, n, "equation is empty");
    const char *arrow = strstr(eq, "->");
    const size_t lhs_len = arrow ? (size_t)(arrow - eq) : len;
    const char *rhs = arrow ? arrow + 2 : NULL;
    if (rhs && (strstr(rhs, "->") || strchr(rhs, ',')))
        return diag_error(d, n, "equation '%s': the output term must be one term after a single '->'", src);

    /* operand terms */
    for (size_t pos = 0;;) {
        const char *comma = memchr(eq + pos, ',', lhs_len - pos);
        size_t end = comma ? (size_t)(comma - eq) : lhs_len;
        if (nterm >= n->ninputs)
            return diag_error(d, n, "equation '%s' has more terms than the node's %d inputs", src, n->ninputs);
        const Value *x = n->inputs[nterm];
        EinTerm *t = &terms[nterm];
        if (!x)
            return diag_error(d, n, "input %d is missing", nterm);
        if (ein_term(n, eq + pos, end - pos, nterm, t, d))
            return -1;
        ne[nterm] = x->rank - t->nl;
        if (ne[nterm] < 0 || (t->ell < 0 && ne[nterm] != 0))
            return diag_error(d, n, "equation '%s': term %d ('%.*s') does not match input %d of rank %d",
                              src, nterm, (int)(end - pos), eq + pos, nterm, x->rank);
        if (ne[nterm] > E)
            E = ne[nterm];
        nterm++;
        if (!comma)
            break;
        pos = end + 1;
    }
    if (nterm != n->ninputs)
        return diag_error(d, n, "equation '%s' has %d terms but the node has %d inputs", src, nterm,
                          n->ninputs);

    /* extents: equal, or 1 (broadcast); a letter repeated in one operand
     * (a diagonal) must have one extent there */
    int64_t ext[EIN_SLOTS];
    int count[EIN_SLOTS] = {0}, order[EIN_SLOTS], norder = 0;
    int dslot[KILN_MAX_IN][KILN_MAX_RANK];   /* slot of each operand dim */
    for (int s = 0; s < EIN_SLOTS; s++)
        ext[s] = -1;
    for (int k = 0; k < nterm; k++) {
        const Value *x = n->inputs[k];
        const EinTerm *t = &terms[k];
        int64_t local[EIN_SLOTS];
        for (int s = 0; s < EIN_SLOTS; s++)
            local[s] = -1;
        for (int j = 0; j < x->rank; j++) {
            int s;
            if (t->ell >= 0 && j >= t->ell && j < t->ell + ne[k])
                s = EIN_LETTERS + (E - ne[k]) + (j - t->ell);   /* "..." dims align right */
            else
                s = t->slots[t->ell >= 0 && j >= t->ell ? j - ne[k] : j];
            dslot[k][j] = s;
            const int64_t dd = x->dims[j];
            if (local[s] >= 0 && local[s] != dd)
                return diag_error(d, n, "equation '%s': subscript '%c' of input %d has extents %" PRId64
                                  " and %" PRId64, src, ein_char(s), k, local[s], dd);
            local[s] = dd;
            if (s < EIN_LETTERS)
                count[s]++;
            if (ext[s] < 0) {
                ext[s] = dd;
                order[norder++] = s;
            } else if (ext[s] == 1) {
                ext[s] = dd;
            } else if (dd != 1 && dd != ext[s]) {
                return diag_error(d, n, "equation '%s': subscript '%c' is %" PRId64 " in one input and %"
                                  PRId64 " in input %d", src, ein_char(s), ext[s], dd, k);
            }
        }
    }

    /* output subscripts */
    int axis_of[EIN_SLOTS], oslots[EIN_SLOTS], nout = 0;
    for (int s = 0; s < EIN_SLOTS; s++)
        axis_of[s] = -1;
    if (rhs) {
        EinTerm t;
        if (ein_term(n, rhs, strlen(rhs), -1, &t, d))
            return -1;
        if (t.ell < 0 && E > 0)
            return diag_error(d, n, "equation '%s': inputs have '...' dimensions but the output term has no '...'",
                              src);
        for (int i = 0; i <= t.nl; i++) {
            if (i == t.ell)
                for (int e = 0; e < E; e++)
                    oslots[nout++] = EIN_LETTERS + e;
            if (i == t.nl)
                break;
            int s = t.slots[i];
            if (ext[s] < 0)
                return diag_error(d, n, "equation '%s': output subscript '%c' does not appear in the inputs",
                                  src, ein_char(s));
            for (int j = 0; j < nout; j++)
                if (oslots[j] == s)
                    return diag_error(d, n, "equation '%s': output subscript '%c' appears twice", src,
                                      ein_char(s));
            oslots[nout++] = s;
        }
    } else {
        /* implicit: the "..." dims, then letters used exactly once, in ASCII order */
        for (int e = 0; e < E; e++)
            oslots[nout++] = EIN_LETTERS + e;
        for (int s = 0; s < EIN_LETTERS; s++)
            if (count[s] == 1)
                oslots[nout++] = s;
    }
    if (nout > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: einsum output of rank %d (max %d)", nout, KILN_MAX_RANK);
    for (int i = 0; i < nout; i++)
        axis_of[oslots[i]] = i;

    /* every other subscript is contracted, in order of first appearance */
    int nax = nout;
    for (int i = 0; i < norder; i++) {
        if (axis_of[order[i]] >= 0)
            continue;
        if (nax == KK_EIN_MAX_AXES)
            return diag_error(d, n, "unsupported: equation '%s' has more than %d distinct indices", src,
                              KK_EIN_MAX_AXES);
        axis_of[order[i]] = nax++;
    }

    memset(p, 0, sizeof *p);
    p->nin = nterm;
    p->nout = nout;
    p->nsum = nax - nout;
    for (int s = 0; s < EIN_SLOTS; s++)
        if (axis_of[s] >= 0)
            p->dims[axis_of[s]] = ext[s];
    for (int k = 0; k < nterm; k++) {
        const Value *x = n->inputs[k];
        int64_t stride = 1;
        for (int j = x->rank - 1; j >= 0; j--) {
            if (x->dims[j] != 1)
                p->str[k][axis_of[dslot[k][j]]] += stride;
            stride *= x->dims[j];
        }
    }
    *out_rank = nout;
    for (int i = 0; i < nout; i++)
        out_dims[i] = p->dims[i];
    return 0;
}

/* The plan's strides packed as kk_einsum takes them: [nin][nout + nsum]. */
static int ein_pack(const EinPlan *p, int64_t *packed)
{
    int nax = p->nout + p->nsum;
    for (int k = 0; k < p->nin; k++)
        for (int a = 0; a < nax; a++)
            packed[k * nax + a] = p->str[k][a];
    return p->nin * nax;
}

/* --------------------------------------------------------------- infer */

/* A LayerNormalization that canonicalize made from a channels-first
 * LayerNorm (raw attribute kiln_axis_only = 1): it normalizes over its
 * `axis` alone, with Scale and B holding one value per element of that
 * axis, and has no Mean / InvStdDev outputs. */
static bool axis_only(const Node *n)
{
    const Attr *at = n->op == OP_LAYER_NORM ? ir_attr_find(n, "kiln_axis_only") : NULL;
    return at && at->type == AT_INT && at->i;
}

/* x as [outer, dims[axis], inner] around the axis. */
static void mid_split(const Node *n, int64_t *outer, int64_t *mid, int64_t *inner)
{
    const Value *x = n->inputs[0];
    *outer = *mid = *inner = 1;
    for (int k = 0; k < x->rank; k++) {
        if (k < n->a.norm.axis)
            *outer *= x->dims[k];
        else if (k == n->a.norm.axis)
            *mid *= x->dims[k];
        else
            *inner *= x->dims[k];
    }
}

static int infer_axis_only(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    if (n->noutputs != 1)
        return diag_error(d, n, "kiln_axis_only LayerNormalization has %d outputs, not 1", n->noutputs);
    for (int k = 1; k < n->ninputs && k < 3; k++) {
        const Value *v = n->inputs[k];
        if (v && value_numel(v) != x->dims[n->a.norm.axis])
            return diag_error(d, n, "input %d has %" PRId64 " elements, not one per element of axis %d (%" PRId64 ")",
                              k, value_numel(v), n->a.norm.axis, x->dims[n->a.norm.axis]);
    }
    return set_output(n, 0, x->dtype, x->rank, x->dims, d);
}

int norm_infer(Graph *g, Node *n, Diag *d)
{
    NormAttrs *a = &n->a.norm;
    const Value *x = n->ninputs >= 1 ? n->inputs[0] : NULL;
    NormPlan np;
    int64_t dims[KILN_MAX_RANK];

    (void)g;
    if (!x)
        return diag_error(d, n, "input 0 is missing");
    if (x->rank < 0)
        return diag_internal(d, "input 0 of node '%s' has no shape", n->name);

    switch (n->op) {
    case OP_LAYER_NORM:
        if (require_dtype(n, 0, float_types, d) || same_dtype(n, 1, "Scale", d))
            return -1;
        if (opt_input(n, 2) && same_dtype(n, 2, "B", d))
            return -1;
        if (x->rank < 1)
            return diag_error(d, n, "input 0 (X) must have rank >= 1, not a scalar");
        if (norm_axis(n, a->axis, x->rank, &a->axis, d))
            return -1;
        if (axis_only(n))
            return infer_axis_only(n, d);
        if (norm_plan(n, &np, d))
            return -1;
        for (int k = 0; k < x->rank; k++)
            dims[k] = k < a->axis ? x->dims[k] : 1;
        if (set_output(n, 1, (DType)a->stat_dtype, x->rank, dims, d) ||
            set_output(n, 2, (DType)a->stat_dtype, x->rank, dims, d))
            return -1;
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    case OP_GROUP_NORM:
    case OP_INSTANCE_NORM:
        if (require_dtype(n, 0, float_types, d) || same_dtype(n, 1, "scale", d) ||
            same_dtype(n, 2, n->op == OP_GROUP_NORM ? "bias" : "B", d) || norm_plan(n, &np, d))
            return -1;
        if (n->op == OP_INSTANCE_NORM)   /* no stash_type: statistics in X's own type */
            a->stat_dtype = x->dtype;
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    case OP_LP_NORM:
        if (require_dtype(n, 0, float_types, d))
            return -1;
        if (x->rank < 1)
            return diag_error(d, n, "input 0 must have rank >= 1, not a scalar");
        if (norm_axis(n, a->axis, x->rank, &a->axis, d))
            return -1;
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    case OP_EINSUM: {
        EinPlan ep;
        int rank = 0;
        if (!dtype_kk_const(x->dtype, false))
            return diag_error(d, n, "unsupported dtype %s for input 0 ('%s')", dtype_name(x->dtype), x->name);
        for (int k = 1; k < n->ninputs; k++) {
            const Value *v = n->inputs[k];
            if (v && v->dtype != x->dtype)
                return diag_error(d, n, "input %d ('%s') has dtype %s, but input 0 is %s", k, v->name,
                                  dtype_name(v->dtype), dtype_name(x->dtype));
        }
        if (ein_plan(n, &ep, dims, &rank, d))
            return -1;
        return set_output(n, 0, x->dtype, rank, dims, d);
    }
    default:
        return diag_internal(d, "norm_infer called for op %s", op_name(n->op));
    }
}

/* ------------------------------------------------------ exec and emit */

/* x viewed as [outer, n, inner] around LpNorm's axis. */
static void lp_split(const Node *n, int64_t *outer, int64_t *mid, int64_t *inner)
{
    const Value *x = n->inputs[0];
    *outer = *mid = *inner = 1;
    for (int k = 0; k < x->rank; k++) {
        if (k < n->a.norm.axis)
            *outer *= x->dims[k];
        else if (k == n->a.norm.axis)
            *mid *= x->dims[k];
        else
            *inner *= x->dims[k];
    }
}

/* Mean / InvStdDev (LayerNorm outputs 1 and 2) when the node has them. */
static bool has_output(const Node *n, int k)
{
    return k < n->noutputs && n->outputs[k];
}

int norm_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const Value *x = n->inputs[0];
    const NormAttrs *a = &n->a.norm;
    int rc;

    if (axis_only(n)) {
        int64_t o, m, i;
        mid_split(n, &o, &m, &i);
        rc = kk_normalize_mid((int)x->dtype, in[0], out[0], in[1], n->ninputs > 2 ? in[2] : NULL, o, m, i,
                              (float)a->epsilon);
        if (rc)
            return diag_internal(d, "norm kernel rejected node '%s'", n->name);
        return 0;
    }
    switch (n->op) {
    case OP_LAYER_NORM:
    case OP_GROUP_NORM:
    case OP_INSTANCE_NORM: {
        NormPlan p;
        if (norm_plan(n, &p, d))
            return -1;
        rc = kk_normalize((int)x->dtype, a->stat_dtype, in[0], out[0], in[1],
                          n->ninputs > 2 ? in[2] : NULL, has_output(n, 1) ? out[1] : NULL,
                          has_output(n, 2) ? out[2] : NULL, p.rank, p.axis, p.dims, p.sstr, p.bstr,
                          (float)a->epsilon);
        break;
    }
    case OP_LP_NORM: {
        int64_t o, m, i;
        lp_split(n, &o, &m, &i);
        rc = kk_lpnorm((int)x->dtype, a->p, in[0], out[0], o, m, i);
        break;
    }
    case OP_EINSUM: {
        EinPlan p;
        int64_t odims[KILN_MAX_RANK], packed[KILN_MAX_IN * KK_EIN_MAX_AXES];
        int orank;
        if (ein_plan(n, &p, odims, &orank, d))
            return -1;
        ein_pack(&p, packed);
        rc = kk_einsum((int)x->dtype, p.nin, in, out[0], p.nout, p.nsum, p.dims, packed);
        break;
    }
    default:
        return diag_internal(d, "norm_exec called for op %s", op_name(n->op));
    }
    if (rc)
        return diag_internal(d, "norm kernel rejected node '%s' (%s, dtype %s)", n->name,
                             op_name(n->op), dtype_name(x->dtype));
    return 0;
}

/* "(const int64_t[]){...}", or NULL for an empty list. */
static void emit_i64_array(Emitter *e, const int64_t *v, int count)
{
    if (count == 0) {
        emit(e, "NULL");
        return;
    }
    emit(e, "(const int64_t[])");
    emit_i64s(e, v, count);
}

static const char *or_null(const char *s)
{
    return s ? s : "NULL";
}

int norm_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d)
{
    const Value *x = n->inputs[0];
    const NormAttrs *a = &n->a.norm;
    const char *dt = dtype_kk_const(x->dtype, false);

    if (!dt)
        return diag_internal(d, "norm_emit: cannot emit node '%s' (%s)", n->name, op_name(n->op));
    emit_use(e, KKF_NORM);
    if (axis_only(n)) {
        int64_t o, m, i;
        mid_split(n, &o, &m, &i);
        emit(e, "kk_normalize_mid(%s, %s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", ", dt, in[0], out[0],
             or_null(in[1]), or_null(n->ninputs > 2 ? in[2] : NULL), o, m, i);
        emit_float(e, a->epsilon);
        emit(e, ");\n");
        return 0;
    }
    switch (n->op) {
    case OP_LAYER_NORM:
    case OP_GROUP_NORM:
    case OP_INSTANCE_NORM: {
        NormPlan p;
        if (norm_plan(n, &p, d))
            return -1;
        emit(e, "kk_normalize(%s, %s, %s, %s, %s, %s, %s, %s, %d, %d, ", dt,
             dtype_kk_const((DType)a->stat_dtype, false), in[0], out[0], or_null(in[1]),
             or_null(n->ninputs > 2 ? in[2] : NULL), or_null(has_output(n, 1) ? out[1] : NULL),
             or_null(has_output(n, 2) ? out[2] : NULL), p.rank, p.axis);
        emit_i64_array(e, p.dims, p.rank);
        emit(e, ", ");
        emit_i64_array(e, p.sstr, p.rank);
        emit(e, ", ");
        emit_i64_array(e, p.bstr, p.rank);
        emit(e, ", ");
        emit_float(e, a->epsilon);
        emit(e, ");\n");
        return 0;
    }
    case OP_LP_NORM: {
        int64_t o, m, i;
        lp_split(n, &o, &m, &i);
        emit(e, "kk_lpnorm(%s, %d, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ");\n", dt, a->p, in[0],
             out[0], o, m, i);
        return 0;
    }
    case OP_EINSUM: {
        EinPlan p;
        int64_t odims[KILN_MAX_RANK], packed[KILN_MAX_IN * KK_EIN_MAX_AXES];
        int orank;
        if (ein_plan(n, &p, odims, &orank, d))
            return -1;
        int cnt = ein_pack(&p, packed);
        emit(e, "kk_einsum(%s, %d, (const void *const[]){", dt, p.nin);
        for (int k = 0; k < p.nin; k++)
            emit(e, k ? ", %s" : "%s", in[k]);
        emit(e, "}, %s, %d, %d, ", out[0], p.nout, p.nsum);
        emit_i64_array(e, p.dims, p.nout + p.nsum);
        emit(e, ", ");
        emit_i64_array(e, packed, cnt);
        emit(e, ");\n");
        return 0;
    }
    default:
        return diag_internal(d, "norm_emit called for op %s", op_name(n->op));
    }
}
