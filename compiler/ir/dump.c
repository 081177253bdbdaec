/*
 * dump.c - the stable text dump of a Graph in kiln's .kg format
 * (docs/text-format.md), and the weights sidecar that goes with it.
 *
 * The dump is valid input for frontend/text.c and is deterministic: values,
 * nodes and attributes print in graph order, floats with %.9g (f64 data with
 * %.17g), so dump -> parse -> dump is byte-identical. Small constants print
 * inline, seeded ones as their seed spec, the rest as blob(OFFSET, BYTES)
 * into a sidecar written by ir_dump_weights.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/text.h"
#include "ir.h"

/* ------------------------------------------------------ shared helpers */

bool text_is_plain_name(const char *s) {
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '.'))
            return false;
    return true;
}

float text_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);          /* inf / nan */
    } else if (exp) {
        bits = sign | ((exp + 112u) << 23) | (man << 13); /* normal: rebias 15 -> 127 */
    } else if (man) {                                     /* subnormal: normalize */
        exp = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            exp--;
        }
        bits = sign | (exp << 23) | ((man & 0x3ffu) << 13);
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t text_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);       /* overflow -> inf */
    if (e <= 0) {                                         /* subnormal or zero */
        if (e < -10) return sign;
        man |= 0x800000u;
        unsigned shift = (unsigned)(14 - e);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++; /* may carry into inf: correct */
    return (uint16_t)(sign | half);
}

float text_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t text_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* quiet nan */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

bool text_is_blob(const Value *v) {
    return v->kind == VK_CONST && !v->seed_spec && (value_numel(v) > KG_INLINE_MAX || !v->data);
}

/* --------------------------------------------------------------- printing */

static void put_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void put_name(FILE *f, const char *s) {
    if (text_is_plain_name(s)) fputs(s, f);
    else put_string(f, s);
}

/* %.*g with inf/nan spelled the way the parser reads them. */
static void put_real(FILE *f, double x, int prec, bool mark_float) {
    if (isnan(x)) {
        fputs(signbit(x) ? "-nan" : "nan", f);
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", f);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    fputs(buf, f);
    /* an attribute's type comes from its literal: keep floats looking like floats */
    if (mark_float && !strpbrk(buf, ".e")) fputs(".0", f);
}

static void put_type(FILE *f, DType t, int rank, const int64_t *dims) {
    fprintf(f, "%s[", dtype_name(t));
    for (int i = 0; i < rank; i++) fprintf(f, i ? ",%lld" : "%lld", (long long)dims[i]);
    fputc(']', f);
}

/* One element of a constant's data. */
static void put_elem(FILE *f, DType t, const unsigned char *p) {
    switch (t) {
    case DT_F32: { float x; memcpy(&x, p, 4); put_real(f, x, 9, false); break; }
    case DT_F64: { double x; memcpy(&x, p, 8); put_real(f, x, 17, false); break; }
    case DT_F16: { uint16_t x; memcpy(&x, p, 2); put_real(f, text_f16_to_f32(x), 9, false); break; }
    case DT_BF16: { uint16_t x; memcpy(&x, p, 2); put_real(f, text_bf16_to_f32(x), 9, false); break; }
    case DT_I8: { int8_t x; memcpy(&x, p, 1); fprintf(f, "%d", x); break; }
    case DT_I16: { int16_t x; memcpy(&x, p, 2); fprintf(f, "%d", x); break; }
    case DT_I32: { int32_t x; memcpy(&x, p, 4); fprintf(f, "%ld", (long)x); break; }
    case DT_I64: { int64_t x; memcpy(&x, p, 8); fprintf(f, "%lld", (long long)x); break; }
    case DT_U8: fprintf(f, "%u", (unsigned)*p); break;
    case DT_BOOL: fputc(*p ? '1' : '0', f); break;
    case DT_U16: { uint16_t x; memcpy(&x, p, 2); fprintf(f, "%u", (unsigned)x); break; }
    case DT_U32: { uint32_t x; memcpy(&x, p, 4); fprintf(f, "%lu", (unsigned long)x); break; }
    case DT_U64: { uint64_t x; memcpy(&x, p, 8); fprintf(f, "%llu", (unsigned long long)x); break; }
    default: fputc('0', f); break; /* unreachable: callers check dtype_size */
    }
}

/* "[a, b, c]": the row-major data of a constant or tensor attribute. */
static int put_data(FILE *f, const Value *v) {
    size_t es = dtype_size(v->dtype);
    int64_t n = value_numel(v);
    if (!es || (!v->data && n > 0)) {
        fputs("[]", f);
        return -1;
    }
    fputc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        put_elem(f, v->dtype, (const unsigned char *)v->data + (size_t)i * es);
    }
    fputc(']', f);
    return 0;
}

static int put_attr(FILE *f, const Attr *a) {
    int rc = 0;
    fputc(' ', f);
    put_name(f, a->name);
    fputc('=', f);
    switch (a->type) {
    case AT_INT: fprintf(f, "%lld", (long long)a->i); break;
    case AT_FLOAT: put_real(f, a->f, 9, true); break;
    case AT_STRING: put_string(f, a->s ? a->s : ""); break;
    case AT_INTS:
        fputs(a->n ? "[" : "ints[", f);
        for (int i = 0; i < a->n; i++) fprintf(f, i ? ", %lld" : "%lld", (long long)a->ints[i]);
        fputc(']', f);
        break;
    case AT_FLOATS:
        fputs(a->n ? "[" : "floats[", f);
        for (int i = 0; i < a->n; i++) {
            if (i) fputs(", ", f);
            put_real(f, a->floats[i], 9, true);
        }
        fputc(']', f);
        break;
    case AT_STRINGS:
        fputs(a->n ? "[" : "strings[", f);
        for (int i = 0; i < a->n; i++) {
            if (i) fputs(", ", f);
            put_string(f, a->strings[i] ? a->strings[i] : "");
        }
        fputc(']', f);
        break;
    case AT_TENSOR:
        if (!a->t) {
            fputs("f32[0] []", f);
            return -1;
        }
        put_type(f, a->t->dtype, a->t->rank, a->t->dims);
        fputc(' ', f);
        rc = put_data(f, a->t);
        break;
    default:
        /* subgraphs have no text form; the frontends reject them anyway */
        fputs("\"<unsupported attribute type>\"", f);
        rc = -1;
        break;
    }
    return rc;
}

static int64_t align_up(int64_t x) { return (x + KG_WEIGHTS_ALIGN - 1) & ~(int64_t)(KG_WEIGHTS_ALIGN - 1); }

/* Which constants the dump prints: those a live node reads and graph
 * outputs. Passes leave folded-away weights behind in Graph.values; printing
 * them would only bloat the sidecar. Indexed by Value.id; NULL (out of
 * memory) means all. */
static unsigned char *dumped_consts(const Graph *g) {
    unsigned char *used = calloc((size_t)g->nvalues + 1, 1);
    if (!used) return NULL;
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] && n->inputs[k]->id >= 0 && n->inputs[k]->id < g->nvalues) used[n->inputs[k]->id] = 1;
    }
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i]->id >= 0 && g->outputs[i]->id < g->nvalues) used[g->outputs[i]->id] = 1;
    return used;
}

static bool in_dump(const unsigned char *used, const Value *v) {
    return v->kind == VK_CONST && (!used || v->id < 0 || used[v->id]);
}

static bool blob_in_dump(const unsigned char *used, const Value *v) { return in_dump(used, v) && text_is_blob(v); }

/* Blob constants printed without an offset get one after every assigned one. */
static void assign_missing_offsets(Graph *g, const unsigned char *used) {
    int64_t end = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const Value *v = g->values[i];
        if (blob_in_dump(used, v) && v->offset >= 0 && v->offset + (int64_t)value_bytes(v) > end)
            end = v->offset + (int64_t)value_bytes(v);
    }
    end = align_up(end);
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        if (!blob_in_dump(used, v) || v->offset >= 0) continue;
        v->offset = end;
        end = align_up(end + (int64_t)value_bytes(v));
    }
}

int text_dump(Graph *g, FILE *f, const char *weights_name) {
    int rc = 0;
    bool blobs = false;
    unsigned char *used = dumped_consts(g);
    assign_missing_offsets(g, used);
    for (int i = 0; i < g->nvalues; i++) blobs |= blob_in_dump(used, g->values[i]);

    fprintf(f, "kg %d\ngraph ", KG_VERSION);
    put_name(f, g->name);
    fprintf(f, "\nopset %d\n", g->opset);
    if (blobs) {
        fputs("weights ", f);
        if (weights_name) {
            put_string(f, weights_name);
        } else {
            fputc('"', f);
            fputs(g->name, f); /* a C identifier: nothing to escape */
            fputs(".bin\"", f);
        }
        fputc('\n', f);
    }

    if (g->ninputs) fputc('\n', f);
    for (int i = 0; i < g->ninputs; i++) {
        const Value *v = g->inputs[i];
        fputs("input ", f);
        put_name(f, v->name);
        fputs(": ", f);
        put_type(f, v->dtype, v->rank, v->dims);
        fputc('\n', f);
    }

    bool first = true;
    for (int i = 0; i < g->nvalues; i++) {
        const Value *v = g->values[i];
        if (!in_dump(used, v)) continue;
        if (first) fputc('\n', f);
        first = false;
        fputs("const ", f);
        put_name(f, v->name);
        fputs(": ", f);
        put_type(f, v->dtype, v->rank, v->dims);
        fputs(" = ", f);
        if (!dtype_size(v->dtype)) {
            fputs("[]  # unsupported dtype", f);
            rc = -1;
        } else if (v->seed_spec) {
            fputs(v->seed_spec, f);
        } else if (text_is_blob(v)) {
            fprintf(f, "blob(%lld, %zu)", (long long)v->offset, value_bytes(v));
        } else if (put_data(f, v)) {
            rc = -1;
        }
        fputc('\n', f);
    }

    first = true;
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        if (n->dead) continue;
        if (first) fputc('\n', f);
        first = false;
        fputs("node ", f);
        put_name(f, n->name);
        fputs(": ", f);
        fputs(op_name(n->op), f);
        if (n->opset != g->opset) fprintf(f, "@%d", n->opset);
        fputc('(', f);
        for (int k = 0; k < n->ninputs; k++) {
            if (k) fputs(", ", f);
            if (n->inputs[k]) put_name(f, n->inputs[k]->name);
            else fputs("\"\"", f);
        }
        fputs(") -> (", f);
        /* hidden count outputs (dynamic extents) are recreated by inference: not printed */
        int shown = n->noutputs;
        while (shown > 0 && n->outputs[shown - 1]) {
            bool hidden = false;
            for (int j = 0; j < shown - 1; j++)
                if (n->outputs[j] && n->outputs[j]->count == n->outputs[shown - 1]) hidden = true;
            if (!hidden) break;
            shown--;
        }
        for (int k = 0; k < shown; k++) {
            const Value *v = n->outputs[k];
            if (k) fputs(", ", f);
            if (!v) {
                fputs("\"\"", f);
                continue;
            }
            put_name(f, v->name);
            if (v->rank >= 0 && v->rank <= KILN_MAX_RANK && v->dtype != DT_UNDEF) {
                fputs(": ", f);
                put_type(f, v->dtype, v->rank, v->dims);
            }
        }
        fputc(')', f);
        for (int k = 0; k < n->nattrs; k++)
            if (put_attr(f, &n->attrs[k])) rc = -1;
        fputc('\n', f);
    }

    if (g->noutputs) fputc('\n', f);
    for (int i = 0; i < g->noutputs; i++) {
        fputs("output ", f);
        put_name(f, g->outputs[i]->name);
        fputc('\n', f);
    }
    if (ferror(f)) rc = -1;
    free(used);
    return rc;
}

int ir_dump(Graph *g, FILE *f) { return text_dump(g, f, NULL); }

int ir_dump_weights(Graph *g, FILE *f) {
    int64_t end = 0, written = 0;
    int rc = 0;
    unsigned char *used = dumped_consts(g);
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        if (!blob_in_dump(used, v)) continue;
        v->offset = end;
        end = align_up(end + (int64_t)value_bytes(v));
    }
    static const unsigned char zeros[KG_WEIGHTS_ALIGN];
    for (int i = 0; i < g->nvalues && !rc; i++) {
        const Value *v = g->values[i];
        if (!blob_in_dump(used, v)) continue;
        size_t bytes = value_bytes(v);
        if (!v->data && bytes) rc = -1;
        while (!rc && written < v->offset) {
            size_t pad = (size_t)(v->offset - written);
            if (pad > sizeof zeros) pad = sizeof zeros;
            if (fwrite(zeros, 1, pad, f) != pad) rc = -1;
            written += (int64_t)pad;
        }
        if (!rc && bytes && fwrite(v->data, 1, bytes, f) != bytes) rc = -1;
        written += (int64_t)bytes;
    }
    free(used);
    return rc || ferror(f) ? -1 : 0;
}

int text_dump_pair(Graph *g, const char *kg_path, Diag *d) {
    bool blobs = false;
    unsigned char *used = dumped_consts(g);
    for (int i = 0; i < g->nvalues; i++) blobs |= blob_in_dump(used, g->values[i]);
    free(used);
    const char *base = strrchr(kg_path, '/');
    base = base ? base + 1 : kg_path;
    char *bin = arena_printf(&g->arena, "%s.bin", kg_path);
    char *bin_name = arena_printf(&g->arena, "%s.bin", base);
    if (!bin || !bin_name) return diag_error(d, NULL, "out of memory");
    if (blobs) {
        FILE *wf = fopen(bin, "wb");
        if (!wf) return diag_error(d, NULL, "cannot write '%s': %s", bin, strerror(errno));
        int rc = ir_dump_weights(g, wf);
        if (fclose(wf) || rc) return diag_error(d, NULL, "cannot write '%s': %s", bin, strerror(errno));
    }
    FILE *f = fopen(kg_path, "w");
    if (!f) return diag_error(d, NULL, "cannot write '%s': %s", kg_path, strerror(errno));
    int rc = text_dump(g, f, bin_name);
    if (fclose(f) || rc)
        return diag_error(d, NULL, "cannot write '%s' faithfully (a constant or attribute has no text form, or "
                                   "the write failed)", kg_path);
    return 0;
}
