/*
 * krt_pb.c - a minimal protobuf wire-format reader for one ONNX TensorProto
 * (the test_data_set_N/input_K.pb files of ONNX's test suites, and tensors
 * dumped by onnx.numpy_helper). Only the fields a tensor's value needs are
 * read; everything else is skipped by wire type.
 *
 *   1 dims (int64, repeated)    2 data_type (int32)      4 float_data (float)
 *   5 int32_data (int32)        7 int64_data (int64)     8 name (string)
 *   9 raw_data (bytes)         10 double_data (double)  11 uint64_data (uint64)
 *  13 external_data, 14 data_location: tensors stored outside the file are
 *     reported as unsupported.
 *
 * Repeated numeric fields may come packed (one length-delimited run) or
 * unpacked (one tagged value each), or both mixed, as protobuf allows. Typed
 * fields are narrowed the way ONNX stores them: int32_data carries int8, int16,
 * uint8, uint16, bool, float16 and bfloat16 (the latter two as their bit
 * patterns); uint64_data carries uint32 and uint64. raw_data is little-endian.
 * Every read is bounds-checked against the buffer.
 */
#include "krt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int pb_fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct {
    const unsigned char *p, *end;
} Reader;

/* Returns 0 on a truncated or over-long (more than 10 bytes) varint. */
static int read_varint(Reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) return 0;
        unsigned char b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

static uint64_t load_le(const unsigned char *p, int n) {
    uint64_t x = 0;
    for (int i = n - 1; i >= 0; i--) x = x << 8 | p[i];
    return x;
}

/* Skip one field's payload of the given wire type. */
static int skip_field(Reader *r, unsigned wt) {
    uint64_t v;
    switch (wt) {
    case WT_VARINT: return read_varint(r, &v);
    case WT_I64:
        if (r->end - r->p < 8) return 0;
        r->p += 8;
        return 1;
    case WT_I32:
        if (r->end - r->p < 4) return 0;
        r->p += 4;
        return 1;
    case WT_LEN:
        if (!read_varint(r, &v) || v > (uint64_t)(r->end - r->p)) return 0;
        r->p += (size_t)v;
        return 1;
    default: return 0;             /* groups (3, 4) are not used by ONNX */
    }
}

/* The numeric repeated fields, indexed by their scalar wire type: varint ones
 * hold int32/int64/uint64, fixed ones float (4 bytes) or double (8 bytes). */
enum { F_FLOAT, F_INT32, F_INT64, F_DOUBLE, F_UINT64, F_COUNT };

static const struct {
    int field;          /* TensorProto field number */
    unsigned wt;        /* wire type of one element */
    const char *name;
} typed[F_COUNT] = {
    [F_FLOAT] = {4, WT_I32, "float_data"},   [F_INT32] = {5, WT_VARINT, "int32_data"},
    [F_INT64] = {7, WT_VARINT, "int64_data"}, [F_DOUBLE] = {10, WT_I64, "double_data"},
    [F_UINT64] = {11, WT_VARINT, "uint64_data"},
};

/* Which typed field holds a tensor of each dtype; -1 when none does. */
static int typed_field_for(int dtype) {
    switch (dtype) {
    case 1: return F_FLOAT;
    case 2: case 3: case 4: case 5: case 6: case 9: case 10: case 16: return F_INT32;
    case 7: return F_INT64;
    case 11: return F_DOUBLE;
    case 12: case 13: return F_UINT64;
    default: return -1;
    }
}

/* Store element i of dtype into dst from a decoded wire value (integer bits or
 * IEEE bits for float/double fields). Narrowing keeps the low bits, which is
 * how ONNX maps int8/uint8/... onto int32_data. */
static void store(void *dst, size_t i, int dtype, uint64_t bits) {
    unsigned char *d = dst;
    switch (dtype) {
    case 1: {
        uint32_t u = (uint32_t)bits;
        float f;
        memcpy(&f, &u, 4);
        memcpy(d + 4 * i, &f, 4);
        break;
    }
    case 11: {
        double f;
        memcpy(&f, &bits, 8);
        memcpy(d + 8 * i, &f, 8);
        break;
    }
    case 2: case 3: d[i] = (unsigned char)(bits & 0xff); break;
    case 9: d[i] = bits != 0; break;
    case 4: case 5: case 10: case 16: {
        uint16_t u = (uint16_t)(bits & 0xffff);
        memcpy(d + 2 * i, &u, 2);
        break;
    }
    case 6: case 12: {
        uint32_t u = (uint32_t)(bits & 0xffffffffu);
        memcpy(d + 4 * i, &u, 4);
        break;
    }
    case 7: case 13: memcpy(d + 8 * i, &bits, 8); break;
    default: break;
    }
}

/* What the first walk over the message finds. */
typedef struct {
    int64_t dims[KRT_MAX_RANK];
    int rank;
    int rank_overflow;
    int dtype;
    const unsigned char *raw;   /* last raw_data seen (protobuf: last one wins) */
    size_t raw_len;
    int has_raw;
    int external;
    size_t counts[F_COUNT];
    const unsigned char *name;
    size_t name_len;
} Scan;

/* One element of a repeated numeric field, by its scalar wire type. */
static int decode_elem(Reader *r, unsigned wt, uint64_t *v) {
    if (wt == WT_VARINT) return read_varint(r, v);
    int n = wt == WT_I32 ? 4 : 8;
    if (r->end - r->p < n) return 0;
    *v = load_le(r->p, n);
    r->p += n;
    return 1;
}

/* Take a length-delimited payload: *out is its slice, r moves past it. */
static int take_len(Reader *r, Reader *out) {
    uint64_t n;
    if (!read_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return 0;
    out->p = r->p;
    out->end = r->p + n;
    r->p += n;
    return 1;
}

/* Walk the fields. In count mode (dst == NULL) records dims, dtype, name and
 * raw_data and tallies the elements of every typed field into counts[]; in
 * fill mode writes the elements of typed field `want` into dst (at most cap of
 * them, as dtype). Returns 0 on malformed input. */
static int walk(const unsigned char *buf, size_t len, Scan *s, int want, void *dst, size_t cap,
                int dtype) {
    Reader r = {buf, buf + len};
    size_t filled = 0;
    while (r.p < r.end) {
        uint64_t key;
        if (!read_varint(&r, &key)) return 0;
        uint64_t field = key >> 3;
        unsigned wt = (unsigned)(key & 7);
        int tf = -1;
        for (int k = 0; k < F_COUNT; k++)
            if ((uint64_t)typed[k].field == field) tf = k;
        unsigned elem_wt = tf >= 0 ? typed[tf].wt : WT_VARINT;   /* dims are varints */

        if ((tf >= 0 || field == 1) && (wt == elem_wt || wt == WT_LEN)) {
            /* A packed run of elements, or a single unpacked one. */
            int packed = wt == WT_LEN;
            Reader run = r;
            if (packed && !take_len(&r, &run)) return 0;
            for (int first = 1; packed ? run.p < run.end : first; first = 0) {
                uint64_t v;
                if (!decode_elem(&run, elem_wt, &v)) return 0;
                if (tf >= 0) {
                    if (!dst) s->counts[tf]++;
                    else if (tf == want && filled < cap) store(dst, filled++, dtype, v);
                } else if (!dst) {
                    if (s->rank == KRT_MAX_RANK) s->rank_overflow = 1;
                    else s->dims[s->rank++] = (int64_t)v;
                }
            }
            if (!packed) r.p = run.p;
        } else if (field == 2 && wt == WT_VARINT) {
            uint64_t v;
            if (!read_varint(&r, &v)) return 0;
            s->dtype = v > 0x7fffffff ? -1 : (int)v;
        } else if ((field == 8 || field == 9) && wt == WT_LEN) {
            Reader str;
            if (!take_len(&r, &str)) return 0;
            if (field == 8) {
                s->name = str.p;
                s->name_len = (size_t)(str.end - str.p);
            } else {
                s->raw = str.p;
                s->raw_len = (size_t)(str.end - str.p);
                s->has_raw = 1;
            }
        } else if (field == 13 && wt == WT_LEN) {
            s->external = 1;
            if (!skip_field(&r, wt)) return 0;
        } else if (field == 14 && wt == WT_VARINT) {
            uint64_t v;
            if (!read_varint(&r, &v)) return 0;
            if (v == 1) s->external = 1;       /* DataLocation.EXTERNAL */
        } else {
            if (field == 0 || !skip_field(&r, wt)) return 0;
        }
    }
    return 1;
}

static int host_is_little(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

int krt_pb_parse(const void *buf, size_t len, KrtTensor *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    Scan s;
    memset(&s, 0, sizeof s);
    if (!walk(buf, len, &s, -1, NULL, 0, 0))
        return pb_fail(err, errlen, KRT_ERR_FORMAT, "not a TensorProto (malformed protobuf)");

    size_t nl = s.name_len < sizeof t->name - 1 ? s.name_len : sizeof t->name - 1;
    if (nl) memcpy(t->name, s.name, nl);
    t->name[nl] = 0;
    /* Messages lead with the tensor's name when it has one. */
    char tn[sizeof t->name + 16] = "";
    if (nl) snprintf(tn, sizeof tn, "tensor '%s': ", t->name);

    if (s.external)
        return pb_fail(err, errlen, KRT_ERR_FORMAT,
                       "%sunsupported external data (data stored in another file)", tn);
    if (s.rank_overflow)
        return pb_fail(err, errlen, KRT_ERR_SHAPE, "%srank exceeds the maximum of %d",
                       tn, KRT_MAX_RANK);
    if (s.dtype == 0)
        return pb_fail(err, errlen, KRT_ERR_FORMAT, "%smissing data_type (not a TensorProto?)", tn);
    size_t esize = krt_dtype_size(s.dtype);
    int tf = typed_field_for(s.dtype);
    if (esize == 0 || tf < 0)
        return pb_fail(err, errlen, KRT_ERR_DTYPE, "%sunsupported dtype %s (%d)", tn,
                       krt_dtype_name(s.dtype), s.dtype);

    size_t numel = 1;
    for (int i = 0; i < s.rank; i++) {
        if (s.dims[i] < 0)
            return pb_fail(err, errlen, KRT_ERR_FORMAT, "%snegative dimension %lld", tn,
                           (long long)s.dims[i]);
        if (s.dims[i] != 0 && numel > ((size_t)-1) / esize / (size_t)s.dims[i])
            return pb_fail(err, errlen, KRT_ERR_FORMAT, "%sshape too large", tn);
        numel *= (size_t)s.dims[i];
    }
    size_t bytes = numel * esize;

    /* Like onnx.numpy_helper: raw_data, when present, is the data. */
    if (s.has_raw) {
        if (s.raw_len != bytes)
            return pb_fail(err, errlen, KRT_ERR_FORMAT,
                           "%sraw_data is %zu bytes, expected %zu (%zu x %s)", tn,
                           s.raw_len, bytes, numel, krt_dtype_name(s.dtype));
    } else if (s.counts[tf] != numel) {
        return pb_fail(err, errlen, KRT_ERR_FORMAT,
                       "%s%s holds %zu values, expected %zu for a %s tensor", tn,
                       typed[tf].name, s.counts[tf], numel, krt_dtype_name(s.dtype));
    }

    void *data = malloc(bytes ? bytes : 1);
    if (!data) return pb_fail(err, errlen, KRT_ERR_NOMEM, "%sout of memory", tn);
    if (s.has_raw) {
        if (bytes) memcpy(data, s.raw, bytes);
        if (!host_is_little() && esize > 1) {
            unsigned char *p = data;
            for (size_t i = 0; i < numel; i++, p += esize)
                for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
                    unsigned char c = p[a];
                    p[a] = p[b];
                    p[b] = c;
                }
        }
    } else if (numel) {
        Scan again;
        memset(&again, 0, sizeof again);
        walk(buf, len, &again, tf, data, numel, s.dtype);   /* same bytes: cannot fail now */
    }
    t->dtype = s.dtype;
    t->rank = s.rank;
    memcpy(t->dims, s.dims, sizeof s.dims);
    t->data = data;
    t->bytes = bytes;
    return KRT_OK;
}

int krt_pb_read(const char *path, KrtTensor *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    void *buf;
    size_t len;
    int rc = krt_read_file(path, &buf, &len, err, errlen);
    if (rc != KRT_OK) return rc;
    char msg[512] = "";
    rc = krt_pb_parse(buf, len, t, msg, sizeof msg);
    free(buf);
    if (rc != KRT_OK) pb_fail(err, errlen, rc, "%s: %s", path, msg);
    return rc;
}
