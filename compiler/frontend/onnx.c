/*
 * onnx.c - the ONNX frontend: ModelProto (decoded by protobuf-c from our own
 * schema subset, onnx_subset.proto) -> Graph.
 *
 * Reads opset imports, initializers (raw_data, typed fields, and external
 * data files confined to the model's own folder), graph inputs (symbolic
 * dims bound with --shape), nodes with their raw attributes, and graph
 * outputs. Every unsupported op is reported at once, each naming its node.
 * Inputs named by --freeze become constants read from a tensor file.
 *
 * The file is untrusted (tests/errors, tests/fuzz): every declared size is
 * checked against the data actually present before anything is allocated
 * for it, and inlining local functions has a work budget.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kiln.h"
#include "krt.h"
#include "onnx_subset.pb-c.h"

typedef KilnOnnx__Model PbModel;
typedef KilnOnnx__Graph PbGraph;
typedef KilnOnnx__Node PbNode;
typedef KilnOnnx__Tensor PbTensor;
typedef KilnOnnx__Attribute PbAttr;
typedef KilnOnnx__ValueInfo PbValueInfo;

typedef struct Loader {
    Graph *g;
    Diag *d;
    const char *path;     /* model file */
    char *dir;            /* its folder, resolved (malloc'd) */
    const Node *node;     /* node whose attribute tensor is being read (messages), else NULL */
    struct FnEntry *fns;  /* the model's local functions sorted by (domain, name) (malloc'd) */
    size_t nfns;
} Loader;

/* ------------------------------------------------------- external data */

/* Resolve LOCATION against the model's folder; refuse anything that leaves
 * it (absolute paths, "..", symlinks pointing out). Returns malloc'd path. */
static char *resolve_external(Loader *L, const char *what, const char *tname, const char *loc) {
    if (!loc || !*loc) {
        diag_error(L->d, L->node, "%s '%s': external data has no location", what, tname);
        return NULL;
    }
    if (loc[0] == '/' || strstr(loc, "..")) {
        diag_error(L->d, L->node, "%s '%s': external data location '%s' escapes the model's folder", what, tname,
                   loc);
        return NULL;
    }
    size_t n = strlen(L->dir) + strlen(loc) + 2;
    char *joined = malloc(n);
    if (!joined) return NULL;
    snprintf(joined, n, "%s/%s", L->dir, loc);
    char *real = realpath(joined, NULL);
    free(joined);
    if (!real) {
        diag_error(L->d, L->node, "%s '%s': cannot open external data '%s': %s", what, tname, loc, strerror(errno));
        return NULL;
    }
    size_t dl = strlen(L->dir);
    if (strncmp(real, L->dir, dl) != 0 || real[dl] != '/') {
        diag_error(L->d, L->node, "%s '%s': external data location '%s' escapes the model's folder", what, tname,
                   loc);
        free(real);
        return NULL;
    }
    return real;
}

/* External data in two steps: external_check validates the reference (a
 * regular file inside the model's folder holding at least offset + bytes
 * bytes), then the caller allocates and read_external reads. Nothing is
 * allocated before the check, so a tiny file cannot make kiln allocate the
 * gigabytes a hostile header claims. */
typedef struct ExtRef {
    char *path;           /* resolved (malloc'd) */
    const char *loc;      /* as written in the model */
    int64_t offset;
} ExtRef;

static int external_check(Loader *L, const PbTensor *t, const char *what, const char *tn, size_t bytes,
                          ExtRef *ref) {
    const char *loc = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
        if (!k || !v) continue;
        char *end;
        if (!strcmp(k, "location")) loc = v;
        else if (!strcmp(k, "offset")) { errno = 0; offset = strtoll(v, &end, 10); if (!*v || *end || errno || offset < 0) offset = -1; }
        else if (!strcmp(k, "length")) { errno = 0; length = strtoll(v, &end, 10); if (!*v || *end || errno || length < 0) length = -2; }
    }
    if (offset < 0 || length == -2)
        return diag_error(L->d, L->node, "%s '%s': bad external data offset/length", what, tn);
    if (length >= 0 && (uint64_t)length != bytes)
        return diag_error(L->d, L->node, "%s '%s': external data length %lld, shape needs %zu bytes", what, tn,
                          (long long)length, bytes);
    char *path = resolve_external(L, what, tn, loc);
    if (!path) return -1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return diag_error(L->d, L->node, "%s '%s': external data '%s' is not a regular file", what, tn, loc);
    }
    if ((uint64_t)st.st_size < (uint64_t)offset || (uint64_t)st.st_size - (uint64_t)offset < bytes) {
        free(path);
        return diag_error(L->d, L->node,
                          "%s '%s': external data '%s' is shorter than %zu bytes at offset %lld (the file "
                          "has %lld bytes)",
                          what, tn, loc, bytes, (long long)offset, (long long)st.st_size);
    }
    ref->path = path;
    ref->loc = loc;
    ref->offset = offset;
    return 0;
}

static int read_external(Loader *L, const char *what, const char *tn, ExtRef *ref, void *dst, size_t bytes) {
    FILE *f = fopen(ref->path, "rb");
    int rc = 0;
    if (!f) rc = diag_error(L->d, L->node, "%s '%s': cannot open external data '%s': %s", what, tn, ref->loc,
                            strerror(errno));
    else {
        if (fseeko(f, (off_t)ref->offset, SEEK_SET) != 0 || fread(dst, 1, bytes, f) != bytes)
            rc = diag_error(L->d, L->node, "%s '%s': cannot read %zu bytes of external data '%s' at offset %lld",
                            what, tn, bytes, ref->loc, (long long)ref->offset);
        fclose(f);
    }
    return rc;
}

/* ------------------------------------------------------------- tensors */

static int tensor_dims(Loader *L, const PbTensor *t, const char *what, Value *v) {
    if (t->n_dims > KILN_MAX_RANK)
        return diag_error(L->d, L->node, "%s '%s': unsupported rank %zu (max %d)", what, t->name ? t->name : "",
                          t->n_dims, KILN_MAX_RANK);
    v->rank = (int)t->n_dims;
    int64_t total = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        int64_t x = t->dims[i];
        if (x < 0)
            return diag_error(L->d, L->node, "%s '%s': negative dimension %lld", what, t->name ? t->name : "",
                              (long long)x);
        if (x > 0 && total > ((int64_t)1 << 40) / x)
            return diag_error(L->d, L->node, "%s '%s': element count overflows (tensor too large)", what,
                              t->name ? t->name : "");
        total *= x;
        v->dims[i] = x;
    }
    return 0;
}

/* Fill v (already named) from a TensorProto: dtype, dims, data. Every size
 * is checked against the data actually present before memory is allocated. */
static int load_tensor(Loader *L, const PbTensor *t, Value *v, const char *what) {
    const char *tn = t->name ? t->name : v->name;
    DType dt = (DType)t->data_type;
    if (t->data_type <= 0 || t->data_type >= DT_COUNT_ || dtype_size(dt) == 0) {
        if (t->data_type == DT_STRING)
            return diag_error(L->d, L->node, "%s '%s': unsupported dtype string", what, tn);
        return diag_error(L->d, L->node, "%s '%s': unknown or unsupported dtype %d", what, tn, (int)t->data_type);
    }
    if (tensor_dims(L, t, what, v)) return -1;
    v->dtype = dt;
    v->kind = VK_CONST;
    size_t n = (size_t)value_numel(v), es = dtype_size(dt), bytes = n * es;
    if (t->data_location == 1 || t->n_external_data) {
        ExtRef ref = {0};
        if (external_check(L, t, what, tn, bytes, &ref)) return -1;
        v->data = arena_alloc(&L->g->arena, bytes ? bytes : 1);
        int rc = v->data ? read_external(L, what, tn, &ref, v->data, bytes)
                         : diag_error(L->d, L->node, "%s '%s': out of memory (%zu bytes)", what, tn, bytes);
        free(ref.path);
        return rc;
    }
    if (t->has_raw_data) {
        if (t->raw_data.len != bytes)
            return diag_error(L->d, L->node, "%s '%s': raw data is %zu bytes, shape needs %zu", what, tn,
                              t->raw_data.len, bytes);
        v->data = arena_alloc(&L->g->arena, bytes ? bytes : 1);
        if (!v->data) return diag_error(L->d, L->node, "%s '%s': out of memory (%zu bytes)", what, tn, bytes);
        if (bytes) memcpy(v->data, t->raw_data.data, bytes);
        return 0;
    }
    size_t have;
    switch (dt) {
    case DT_F32: have = t->n_float_data; break;
    case DT_F64: have = t->n_double_data; break;
    case DT_I64: have = t->n_int64_data; break;
    case DT_U32: case DT_U64: have = t->n_uint64_data; break;
    default: have = t->n_int32_data; break;
    }
    if (have != n)
        return diag_error(L->d, L->node, "%s '%s': has %zu values, shape needs %zu", what, tn, have, n);
    v->data = arena_alloc(&L->g->arena, bytes ? bytes : 1);
    if (!v->data) return diag_error(L->d, L->node, "%s '%s': out of memory (%zu bytes)", what, tn, bytes);
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = (unsigned char *)v->data + i * es;
        switch (dt) {
        case DT_F32: memcpy(p, &t->float_data[i], 4); break;
        case DT_F64: memcpy(p, &t->double_data[i], 8); break;
        case DT_I64: memcpy(p, &t->int64_data[i], 8); break;
        case DT_U64: memcpy(p, &t->uint64_data[i], 8); break;
        case DT_U32: { uint32_t x = (uint32_t)t->uint64_data[i]; memcpy(p, &x, 4); break; }
        case DT_I32: memcpy(p, &t->int32_data[i], 4); break;
        case DT_I16: case DT_U16: case DT_F16: case DT_BF16: { uint16_t x = (uint16_t)t->int32_data[i]; memcpy(p, &x, 2); break; }
        default: { uint8_t x = (uint8_t)t->int32_data[i]; *p = x; break; }
        }
    }
    return 0;
}

/* ---------------------------------------------------------- attributes */

static int load_attr(Loader *L, Node *n, const PbAttr *pa) {
    Graph *g = L->g;
    if (!pa->name || !*pa->name) return diag_error(L->d, n, "attribute without a name");
    if (pa->ref_attr_name) return diag_error(L->d, n, "unsupported: attribute '%s' refers to a function attribute", pa->name);
    int type = pa->type;
    if (type == 0) { /* very old files omit the type: infer it from the field present */
        if (pa->has_f) type = AT_FLOAT;
        else if (pa->has_i) type = AT_INT;
        else if (pa->has_s) type = AT_STRING;
        else if (pa->t) type = AT_TENSOR;
        else if (pa->n_floats) type = AT_FLOATS;
        else if (pa->n_ints) type = AT_INTS;
        else if (pa->n_strings) type = AT_STRINGS;
        else if (pa->has_g) type = AT_GRAPH;
    }
    if (type == AT_GRAPH || type == 10 /* GRAPHS */)
        return diag_error(L->d, n, "unsupported: attribute '%s' is a subgraph (control flow is not supported)",
                          pa->name);
    if (type < AT_FLOAT || type > AT_STRINGS)
        return diag_error(L->d, n, "unsupported attribute type %d for '%s'", type, pa->name);
    Attr *a = ir_attr_set(g, n, pa->name, (AttrType)type);
    if (!a) return diag_error(L->d, n, "out of memory");
    switch (type) {
    case AT_FLOAT: a->f = pa->f; break;
    case AT_INT: a->i = pa->i; break;
    case AT_STRING:
        a->s = arena_strndup(&g->arena, pa->s.data ? (const char *)pa->s.data : "", pa->s.len);
        if (!a->s) return diag_error(L->d, n, "out of memory");
        break;
    case AT_FLOATS:
        a->n = (int)pa->n_floats;
        a->floats = arena_alloc(&g->arena, sizeof(double) * (pa->n_floats + 1));
        if (!a->floats) return diag_error(L->d, n, "out of memory");
        for (size_t i = 0; i < pa->n_floats; i++) a->floats[i] = pa->floats[i];
        break;
    case AT_INTS:
        a->n = (int)pa->n_ints;
        a->ints = arena_alloc(&g->arena, sizeof(int64_t) * (pa->n_ints + 1));
        if (!a->ints) return diag_error(L->d, n, "out of memory");
        for (size_t i = 0; i < pa->n_ints; i++) a->ints[i] = pa->ints[i];
        break;
    case AT_STRINGS:
        a->n = (int)pa->n_strings;
        a->strings = arena_alloc(&g->arena, sizeof(char *) * (pa->n_strings + 1));
        if (!a->strings) return diag_error(L->d, n, "out of memory");
        for (size_t i = 0; i < pa->n_strings; i++) {
            const ProtobufCBinaryData *b = &pa->strings[i];
            a->strings[i] = arena_strndup(&g->arena, b->data ? (const char *)b->data : "", b->len);
            if (!a->strings[i]) return diag_error(L->d, n, "out of memory");
        }
        break;
    case AT_TENSOR: {
        if (!pa->t) return diag_error(L->d, n, "attribute '%s' has no tensor", pa->name);
        Value *v = arena_alloc(&g->arena, sizeof *v);
        if (!v) return diag_error(L->d, n, "out of memory");
        v->name = arena_strdup(&g->arena, pa->t->name ? pa->t->name : pa->name);
        v->id = -1;
        v->offset = -1;
        v->alias_of = v->output_index = v->input_index = -1;
        char what[300];
        snprintf(what, sizeof what, "attribute '%s' tensor", pa->name);
        L->node = n;
        int rc = load_tensor(L, pa->t, v, what);
        L->node = NULL;
        if (rc) return -1;
        a->t = v;
        break;
    }
    }
    return 0;
}

/* -------------------------------------------------------------- inputs */

static const KilnShape *find_shape(const KilnOptions *o, const char *name) {
    for (int i = 0; i < o->nshapes; i++)
        if (!strcmp(o->shapes[i].name, name)) return &o->shapes[i];
    return NULL;
}

static int load_input(Loader *L, const PbValueInfo *vi, const KilnOptions *o) {
    Graph *g = L->g;
    const char *name = vi->name ? vi->name : "";
    if (ir_value_find(g, name)) return 0; /* an initializer listed as input: the constant wins */
    const KilnOnnx__Type *ty = vi->type;
    if (!ty || !ty->tensor_type) {
        if (ty && (ty->has_sequence_type || ty->has_map_type || ty->has_optional_type || ty->has_sparse_tensor_type))
            return diag_error(L->d, NULL, "graph input '%s': unsupported type (only dense tensors)", name);
        return diag_error(L->d, NULL, "graph input '%s' has no tensor type", name);
    }
    Value *v = ir_value_new(g, name);
    if (!v) return diag_error(L->d, NULL, "out of memory");
    v->kind = VK_INPUT;
    v->dtype = (DType)ty->tensor_type->elem_type;
    if (ty->tensor_type->elem_type <= 0 || ty->tensor_type->elem_type >= DT_COUNT_ || !dtype_size(v->dtype))
        return diag_error(L->d, NULL, "graph input '%s': unknown or unsupported dtype %d", name,
                          (int)ty->tensor_type->elem_type);
    const KilnShape *bind = find_shape(o, name);
    if (bind) {
        v->rank = bind->rank;
        memcpy(v->dims, bind->dims, sizeof(int64_t) * (size_t)bind->rank);
    } else {
        const KilnOnnx__Shape *sh = ty->tensor_type->shape;
        if (!sh)
            return diag_error(L->d, NULL, "graph input '%s' has no shape; bind it with --shape %s=1x3x224x224", name,
                              name);
        if (sh->n_dim > KILN_MAX_RANK)
            return diag_error(L->d, NULL, "graph input '%s': unsupported rank %zu (max %d)", name, sh->n_dim,
                              KILN_MAX_RANK);
        v->rank = (int)sh->n_dim;
        for (size_t i = 0; i < sh->n_dim; i++) {
            const KilnOnnx__Dimension *dm = sh->dim[i];
            if (dm->has_dim_value && dm->dim_value < 0)
                return diag_error(L->d, NULL, "graph input '%s': negative dimension %lld (dimension %zu)", name,
                                  (long long)dm->dim_value, i);
            if (!dm->has_dim_value) {
                const char *sym = dm->dim_param ? dm->dim_param : "?";
                return diag_error(L->d, NULL,
                                  "graph input '%s' has unknown dimension %zu ('%s'); bind it with --shape %s=DIMS "
                                  "(e.g. 1x3x224x224)",
                                  name, i, sym, name);
            }
            v->dims[i] = dm->dim_value;
        }
    }
    int64_t total = 1;
    for (int i = 0; i < v->rank; i++) {
        if (v->dims[i] > 0 && total > ((int64_t)1 << 40) / v->dims[i])
            return diag_error(L->d, NULL, "graph input '%s': element count overflows", name);
        total *= v->dims[i];
    }
    return 0;
}

static int freeze_input(Loader *L, const KilnFreeze *fz) {
    Value *v = ir_value_find(L->g, fz->name);
    if (!v || v->kind != VK_INPUT)
        return diag_error(L->d, NULL, "--freeze: '%s' is not a graph input", fz->name);
    KrtTensor t;
    char err[512];
    if (krt_tensor_read(fz->file, &t, err, sizeof err)) return diag_error(L->d, NULL, "--freeze: %s", err);
    int rc = 0;
    if (t.dtype != (int)v->dtype)
        rc = diag_error(L->d, NULL, "--freeze %s: file has dtype %s, input is %s", fz->name, krt_dtype_name(t.dtype),
                        dtype_name(v->dtype));
    else if (t.rank != v->rank || memcmp(t.dims, v->dims, sizeof(int64_t) * (size_t)t.rank))
        rc = diag_error(L->d, NULL, "--freeze %s: file shape differs from the input's", fz->name);
    else {
        v->kind = VK_CONST;
        v->data = arena_alloc(&L->g->arena, t.bytes ? t.bytes : 1);
        if (!v->data) rc = diag_error(L->d, NULL, "out of memory");
        else if (t.bytes) memcpy(v->data, t.data, t.bytes);
    }
    krt_tensor_free(&t);
    return rc;
}

/* --------------------------------------------------------------- nodes */

static Value *value_for(Loader *L, const char *name) {
    Value *v = ir_value_find(L->g, name);
    return v ? v : ir_value_new(L->g, name);
}

static int load_node_list(Loader *L, const PbNode *const *nodes, size_t count, int *badp);

/* ------------------------------------------------- local functions */

/* The model's nodes with every call of a model-local function (FunctionProto,
 * as the newer PyTorch exporter writes) replaced by the function's body:
 * formal inputs/outputs renamed to the call's, internal values prefixed with
 * the call's name, attribute references resolved from the call (or the
 * function's defaults). Copies live in the graph's arena. */
typedef struct NodeList {
    const PbNode **v;
    size_t n, cap;
} NodeList;

#define MAX_INLINE_DEPTH 16
/* Work budget for inlining (nodes copied, names mapped): far above what real
 * exporters write, low enough that a few kilobytes of calls nested 16 deep
 * (8^16 nodes) is refused before anything is copied. */
#define MAX_INLINE_COST ((uint64_t)1 << 26)
/* Most nodes the inlined calls may produce: the planning passes compare
 * nodes pairwise, so calls nested a few deep that multiply into 10^5 nodes
 * would take minutes; real models' functions are small. */
#define MAX_INLINE_NODES ((uint64_t)1 << 13)

/* Functions are looked up by (domain, name) through a sorted index; for a
 * name defined twice the first definition wins. */
typedef struct FnEntry {
    const char *domain, *name;
    size_t index;               /* position in the model, the tie-break */
    const KilnOnnx__Function *f;
} FnEntry;

static int fn_cmp_key(const FnEntry *a, const FnEntry *b) {
    int c = strcmp(a->domain, b->domain);
    return c ? c : strcmp(a->name, b->name);
}

static int fn_cmp(const void *pa, const void *pb) {
    const FnEntry *a = pa, *b = pb;
    int c = fn_cmp_key(a, b);
    return c ? c : a->index < b->index ? -1 : a->index > b->index;
}

static int index_functions(Loader *L, const PbModel *m) {
    L->fns = malloc(sizeof(FnEntry) * (m->n_functions + 1));
    if (!L->fns) return diag_error(L->d, NULL, "out of memory");
    L->nfns = 0;
    for (size_t i = 0; i < m->n_functions; i++) {
        const KilnOnnx__Function *f = m->functions[i];
        if (!f->name) continue;
        L->fns[L->nfns++] = (FnEntry){f->domain ? f->domain : "", f->name, i, f};
    }
    qsort(L->fns, L->nfns, sizeof(FnEntry), fn_cmp);
    return 0;
}

static const KilnOnnx__Function *find_function(const Loader *L, const PbNode *pn) {
    if (!pn->op_type || !L->nfns) return NULL;
    FnEntry key = {pn->domain ? pn->domain : "", pn->op_type, 0, NULL};
    size_t lo = 0, hi = L->nfns; /* first entry not below key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fn_cmp_key(&L->fns[mid], &key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < L->nfns && !fn_cmp_key(&L->fns[lo], &key) ? L->fns[lo].f : NULL;
}

/* The work expanding pn would do, added to *cost; stops adding once over
 * the budget (expand itself reports calls nested too deep). */
static void expand_cost(const Loader *L, const PbNode *pn, int depth, uint64_t *cost, uint64_t *nodes) {
    const KilnOnnx__Function *f = find_function(L, pn);
    *cost += 1;
    if (f) *nodes += f->n_node;
    if (!f || depth >= MAX_INLINE_DEPTH) return;
    uint64_t formals = f->n_input + f->n_output + 1;
    for (size_t i = 0; i < f->n_node && *cost <= MAX_INLINE_COST; i++) {
        const PbNode *b = f->node[i];
        *cost += (b->n_input + b->n_output) * formals + b->n_attribute * (pn->n_attribute + f->n_attribute_proto + 1);
        expand_cost(L, b, depth + 1, cost, nodes);
    }
}

static int list_push(NodeList *l, const PbNode *pn) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        const PbNode **v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = pn;
    return 0;
}

static const char *map_name(Loader *L, const KilnOnnx__Function *f, const PbNode *call, const char *prefix,
                            const char *name) {
    if (!name || !*name) return "";
    for (size_t i = 0; i < f->n_input; i++)
        if (!strcmp(f->input[i], name)) return i < call->n_input ? call->input[i] : "";
    for (size_t i = 0; i < f->n_output; i++)
        if (!strcmp(f->output[i], name)) return i < call->n_output ? call->output[i] : "";
    return arena_printf(&L->g->arena, "%s/%s", prefix, name);
}

static const PbAttr *resolve_attr(const KilnOnnx__Function *f, const PbNode *call, const PbAttr *a) {
    if (!a->ref_attr_name) return a;
    for (size_t i = 0; i < call->n_attribute; i++)
        if (call->attribute[i]->name && !strcmp(call->attribute[i]->name, a->ref_attr_name)) return call->attribute[i];
    for (size_t i = 0; i < f->n_attribute_proto; i++)
        if (f->attribute_proto[i]->name && !strcmp(f->attribute_proto[i]->name, a->ref_attr_name))
            return f->attribute_proto[i];
    return NULL; /* not given and no default: the attribute is absent */
}

static int expand(Loader *L, const PbModel *m, const PbNode *pn, NodeList *out, int depth) {
    const KilnOnnx__Function *f = find_function(L, pn);
    if (!f) return list_push(out, pn);
    const char *callname = pn->name && *pn->name ? pn->name : pn->op_type;
    if (depth >= MAX_INLINE_DEPTH)
        return diag_error(L->d, NULL, "node '%s' (%s): unsupported: local functions nested deeper than %d", callname,
                          pn->op_type, MAX_INLINE_DEPTH);
    Arena *A = &L->g->arena;
    const char *prefix = arena_printf(A, "%s", callname);
    for (size_t i = 0; i < f->n_node; i++) {
        const PbNode *b = f->node[i];
        PbNode *c = arena_alloc(A, sizeof *c);
        if (!c) return diag_error(L->d, NULL, "out of memory");
        *c = *b;
        /* unnamed body nodes get their index: two calls in one body must not
         * share a prefix (their internal values would collide) */
        c->name = b->name && *b->name ? arena_printf(A, "%s/%s", prefix, b->name)
                                      : arena_printf(A, "%s/%s_%zu", prefix, b->op_type ? b->op_type : "node", i);
        c->input = arena_alloc(A, sizeof(char *) * (b->n_input + 1));
        c->output = arena_alloc(A, sizeof(char *) * (b->n_output + 1));
        c->attribute = arena_alloc(A, sizeof(PbAttr *) * (b->n_attribute + 1));
        if (!c->name || !c->input || !c->output || !c->attribute) return diag_error(L->d, NULL, "out of memory");
        for (size_t k = 0; k < b->n_input; k++) c->input[k] = (char *)map_name(L, f, pn, prefix, b->input[k]);
        for (size_t k = 0; k < b->n_output; k++) c->output[k] = (char *)map_name(L, f, pn, prefix, b->output[k]);
        c->n_attribute = 0;
        for (size_t k = 0; k < b->n_attribute; k++) {
            const PbAttr *a = resolve_attr(f, pn, b->attribute[k]);
            if (!a) continue;
            PbAttr *ca = arena_alloc(A, sizeof *ca);
            if (!ca) return diag_error(L->d, NULL, "out of memory");
            *ca = *a;
            ca->name = b->attribute[k]->name;
            ca->ref_attr_name = NULL;
            c->attribute[c->n_attribute++] = ca;
        }
        if (expand(L, m, c, out, depth + 1)) return -1;
    }
    return 0;
}

static int load_nodes(Loader *L, const PbModel *m) {
    Graph *g = L->g;
    int bad = 0;
    NodeList list = {0};
    if (index_functions(L, m)) return -1;
    uint64_t cost = 0, nodes = 0;
    for (size_t i = 0; i < m->graph->n_node && cost <= MAX_INLINE_COST; i++)
        expand_cost(L, m->graph->node[i], 0, &cost, &nodes);
    if (cost > MAX_INLINE_COST)
        return diag_error(L->d, NULL,
                          "unsupported: inlining the model's local functions would copy too many nodes (more than "
                          "%llu steps; calls nested exponentially?)",
                          (unsigned long long)MAX_INLINE_COST);
    if (nodes > MAX_INLINE_NODES)
        return diag_error(L->d, NULL,
                          "unsupported: inlining the model's local functions would copy %llu function nodes (at most %llu; "
                          "calls nested exponentially?)",
                          (unsigned long long)nodes, (unsigned long long)MAX_INLINE_NODES);
    for (size_t i = 0; i < m->graph->n_node; i++)
        if (expand(L, m, m->graph->node[i], &list, 0)) {
            free(list.v);
            return -1;
        }
    int rc = load_node_list(L, list.v, list.n, &bad);
    free(list.v);
    (void)g;
    return rc;
}

static int load_node_list(Loader *L, const PbNode *const *nodes, size_t count, int *badp) {
    Graph *g = L->g;
    int bad = 0;
    /* pass 1: every unsupported op, reported at once */
    for (size_t i = 0; i < count; i++) {
        const PbNode *pn = nodes[i];
        const char *op = pn->op_type ? pn->op_type : "";
        const char *dom = pn->domain ? pn->domain : "";
        /* an unnamed node is called what ir_node_new would call it: OP_INDEX */
        char synth[160];
        snprintf(synth, sizeof synth, "%.120s_%zu", op, i);
        const char *nm = pn->name && *pn->name ? pn->name : synth;
        if (*dom && strcmp(dom, "ai.onnx")) {
            diag_error(L->d, NULL, "node '%s' (%s): unsupported op domain '%s'", nm, op, dom);
            bad++;
        } else if (!op_lookup(op)) {
            diag_error(L->d, NULL, "node '%s' (%s): unsupported op '%s'", nm, op, op);
            bad++;
        }
    }
    *badp = bad;
    if (bad) return -1;
    for (size_t i = 0; i < count; i++) {
        const PbNode *pn = nodes[i];
        const OpInfo *info = op_lookup(pn->op_type);
        /* trailing omitted optional inputs/outputs ("") do not count */
        size_t nin = pn->n_input, nout = pn->n_output;
        while (nin > 0 && (!pn->input[nin - 1] || !*pn->input[nin - 1])) nin--;
        while (nout > 0 && (!pn->output[nout - 1] || !*pn->output[nout - 1])) nout--;
        const char *nm = pn->name && *pn->name ? pn->name : NULL;
        if ((int)nin < info->min_in || (int)nin > info->max_in || (int)nout < info->min_out ||
            (int)nout > info->max_out || nin > KILN_MAX_IN || nout > KILN_MAX_OUT) {
            char synth[160];
            snprintf(synth, sizeof synth, "%s_%zu", op_name(info->kind), i);
            Node tmp = {.op = info->kind, .name = nm ? nm : synth};
            return diag_error(L->d, &tmp, "has %zu inputs and %zu outputs; expected %d..%d inputs and %d..%d outputs",
                              nin, nout, info->min_in, info->max_in, info->min_out, info->max_out);
        }
        Node *n = ir_node_new(g, info->kind, nm, (int)nin, (int)nout);
        if (!n) return diag_error(L->d, NULL, "out of memory");
        for (size_t k = 0; k < nin; k++) {
            if (!pn->input[k] || !*pn->input[k]) continue;
            n->inputs[k] = value_for(L, pn->input[k]);
            if (!n->inputs[k]) return diag_error(L->d, n, "out of memory");
        }
        for (size_t k = 0; k < nout; k++) {
            if (!pn->output[k] || !*pn->output[k]) continue;
            Value *v = ir_value_find(g, pn->output[k]);
            if (v && (v->kind != VK_INTER || v->producer))
                return diag_error(L->d, n, "output '%s' is already defined (duplicate output name)", pn->output[k]);
            if (!v) v = ir_value_new(g, pn->output[k]);
            if (!v) return diag_error(L->d, n, "out of memory");
            v->producer = n;
            n->outputs[k] = v;
        }
        for (size_t k = 0; k < pn->n_attribute; k++)
            if (load_attr(L, n, pn->attribute[k])) return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- model */

static int load_model(Loader *L, const PbModel *m, const KilnOptions *o) {
    Graph *g = L->g;
    int64_t opset = 0;
    bool found = false;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *dom = m->opset_import[i]->domain ? m->opset_import[i]->domain : "";
        if (!*dom || !strcmp(dom, "ai.onnx")) {
            opset = m->opset_import[i]->version;
            found = true;
        }
    }
    if (!found && m->n_opset_import == 0) { /* IR version 1/2 files have no imports */
        opset = 1;
        found = true;
    }
    if (!found) return diag_error(L->d, NULL, "no opset import for the default ONNX domain");
    if (opset < 1) return diag_error(L->d, NULL, "invalid opset %lld for the default ONNX domain (must be at least 1)",
                                     (long long)opset);
    if (opset > KILN_MAX_OPSET)
        return diag_error(L->d, NULL, "unsupported opset %lld (from the future: kiln knows opsets 1..%d)",
                          (long long)opset, KILN_MAX_OPSET);
    g->opset = (int)opset;
    const PbGraph *pg = m->graph;
    if (!pg) return diag_error(L->d, NULL, "the model has no graph");
    for (size_t i = 0; i < pg->n_initializer; i++) {
        const PbTensor *t = pg->initializer[i];
        if (!t->name || !*t->name) return diag_error(L->d, NULL, "initializer #%zu has no name", i);
        if (ir_value_find(g, t->name)) return diag_error(L->d, NULL, "initializer '%s' is defined twice", t->name);
        Value *v = ir_value_new(g, t->name);
        if (!v) return diag_error(L->d, NULL, "out of memory");
        if (load_tensor(L, t, v, "initializer")) return -1;
    }
    if (pg->n_sparse_initializer) return diag_error(L->d, NULL, "unsupported: sparse initializers");
    for (int i = 0; i < o->nshapes; i++) {
        bool found = false;
        for (size_t k = 0; k < pg->n_input; k++)
            found |= pg->input[k]->name && !strcmp(pg->input[k]->name, o->shapes[i].name) &&
                     !ir_value_find(g, o->shapes[i].name);
        if (!found) return diag_error(L->d, NULL, "--shape: '%s' is not a graph input", o->shapes[i].name);
    }
    for (size_t i = 0; i < pg->n_input; i++)
        if (load_input(L, pg->input[i], o)) return -1;
    for (int i = 0; i < o->nfreeze; i++)
        if (freeze_input(L, &o->freeze[i])) return -1;
    if (load_nodes(L, m)) return -1;
    /* graph inputs in order (frozen and initializer-backed ones are constants now) */
    g->inputs = calloc(pg->n_input + 1, sizeof(Value *));
    g->outputs = calloc(pg->n_output + 1, sizeof(Value *));
    if (!g->inputs || !g->outputs) return diag_error(L->d, NULL, "out of memory");
    for (size_t i = 0; i < pg->n_input; i++) {
        Value *v = ir_value_find(g, pg->input[i]->name ? pg->input[i]->name : "");
        if (v && v->kind == VK_INPUT && v->input_index < 0) {
            v->input_index = g->ninputs;
            g->inputs[g->ninputs++] = v;
        }
    }
    if (pg->n_output == 0) return diag_error(L->d, NULL, "the graph has no outputs");
    for (size_t i = 0; i < pg->n_output; i++) {
        const char *name = pg->output[i]->name ? pg->output[i]->name : "";
        Value *v = ir_value_find(g, name);
        if (!v) return diag_error(L->d, NULL, "graph output '%s' is not produced by any node", name);
        for (int k = 0; k < g->noutputs; k++)
            if (g->outputs[k] == v) return diag_error(L->d, NULL, "graph output '%s' is listed twice", name);
        v->output_index = g->noutputs;
        g->outputs[g->noutputs++] = v;
    }
    return 0;
}

Graph *onnx_load(const char *path, const KilnOptions *o, Diag *d) {
    void *buf = NULL;
    size_t len = 0;
    char err[512];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        diag_error(d, NULL, "is a folder, not an ONNX model file");
        return NULL;
    }
    if (krt_read_file(path, &buf, &len, err, sizeof err)) {
        /* the runtime's message leads with the path too: do not repeat it */
        size_t pl = strlen(path);
        diag_error(d, NULL, "%s", !strncmp(err, path, pl) && err[pl] == ':' && err[pl + 1] == ' ' ? err + pl + 2 : err);
        return NULL;
    }
    Graph *g = onnx_load_bytes(buf, len, path, o, d);
    free(buf);
    return g;
}

Graph *onnx_load_bytes(const void *buf, size_t len, const char *path, const KilnOptions *o, Diag *d) {
    if (len == 0) {
        diag_error(d, NULL, "empty file (not an ONNX model)");
        return NULL;
    }
    PbModel *m = kiln_onnx__model__unpack(NULL, len, buf);
    if (!m) {
        diag_error(d, NULL, "not a valid ONNX model (protobuf decoding failed: truncated or corrupt file)");
        return NULL;
    }
    Loader L = {.d = d, .path = path};
    char *tmp = strdup(path);
    char *slash = tmp ? strrchr(tmp, '/') : NULL;
    if (slash) *slash = 0;
    L.dir = tmp ? realpath(slash ? (*tmp ? tmp : "/") : ".", NULL) : NULL;
    free(tmp);
    L.g = ir_graph_new(o->name, path);
    if (!L.dir || !L.g) {
        diag_error(d, NULL, "cannot resolve the model's folder or out of memory");
        ir_graph_free(L.g);
        free(L.dir);
        kiln_onnx__model__free_unpacked(m, NULL);
        return NULL;
    }
    int rc = load_model(&L, m, o);
    kiln_onnx__model__free_unpacked(m, NULL);
    free(L.dir);
    free(L.fns);
    if (rc) {
        ir_graph_free(L.g);
        return NULL;
    }
    return L.g;
}
