/*
 * krt_npy.c - NumPy .npy files: read versions 1.0, 2.0 and 3.0, write 1.0.
 *
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE for v1, uint32 LE
 * for v2/v3), then an ASCII Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 10), }
 * padded with spaces and a final '\n', then the raw elements in C order.
 * Data is returned in host byte order; big-endian files are swapped on read.
 * Only plain numeric and bool dtypes are accepted (no structured or object
 * arrays). float16 is carried as its raw 2-byte pattern.
 */
#include "krt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int npy_fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int host_is_little(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(unsigned char *p, size_t count, size_t size) {
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char c = p[a];
            p[a] = p[b];
            p[b] = c;
        }
}

/* ---- descr <-> ONNX dtype ------------------------------------------------ */

static const struct {
    char kind;      /* numpy kind character */
    int size;       /* bytes */
    int dtype;      /* ONNX code */
} npy_types[] = {
    {'f', 4, 1}, {'f', 8, 11}, {'f', 2, 10}, {'i', 1, 3}, {'i', 2, 5}, {'i', 4, 6},
    {'i', 8, 7}, {'u', 1, 2},  {'u', 2, 4},  {'u', 4, 12}, {'u', 8, 13}, {'b', 1, 9},
};

#define NPY_NTYPES (sizeof npy_types / sizeof npy_types[0])

/* "<f4" -> dtype 1, *swap set when the file's order differs from the host's.
 * Returns 0 for anything unsupported. */
static int descr_to_dtype(const char *d, size_t len, int *swap) {
    if (len < 3 || len > 4) return 0;
    char order = d[0], kind = d[1];
    if (kind == '?') kind = 'b';
    int size = 0;
    for (size_t i = 2; i < len; i++) {
        if (d[i] < '0' || d[i] > '9') return 0;
        size = size * 10 + (d[i] - '0');
    }
    int little;
    if (order == '<') little = 1;
    else if (order == '>') little = 0;
    else if (order == '=' || order == '|') little = host_is_little();
    else return 0;
    for (size_t i = 0; i < NPY_NTYPES; i++)
        if (npy_types[i].kind == kind && npy_types[i].size == size) {
            *swap = size > 1 && little != host_is_little();
            return npy_types[i].dtype;
        }
    return 0;
}

/* ---- header dict parser -------------------------------------------------- */

typedef struct {
    const char *p, *end;
} Cursor;

static void skip_ws(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(Cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A Python string literal in '...' or "..."; no escapes occur in npy headers. */
static int parse_str(Cursor *c, const char **s, size_t *len) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char q = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\') return 0;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    *s = start;
    *len = (size_t)(c->p - start);
    c->p++;
    return 1;
}

static int parse_word(Cursor *c, const char *w) {
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* (d0, d1, ...) with an optional trailing comma; "()" is rank 0. Returns the
 * rank, -1 if malformed, -2 if the rank exceeds KRT_MAX_RANK. */
static int parse_shape(Cursor *c, int64_t *dims) {
    if (!eat(c, '(')) return -1;
    int rank = 0;
    for (;;) {
        if (eat(c, ')')) return rank;
        skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return -1;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;   /* Python 2 longs */
        if (rank == KRT_MAX_RANK) return -2;
        dims[rank++] = v;
        if (!eat(c, ',')) {
            if (eat(c, ')')) return rank;
            return -1;
        }
    }
}

/* ---- read ---------------------------------------------------------------- */

static int npy_parse(const char *path, const unsigned char *buf, size_t len, KrtTensor *t,
                     char *err, size_t errlen) {
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = buf[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: truncated .npy header", path);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: unsupported .npy version %d.%d", path,
                        major, buf[7]);
    }
    if (hlen > len - hstart)
        return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: truncated .npy header", path);

    Cursor c = {(const char *)buf + hstart, (const char *)buf + hstart + hlen};
    int dtype = 0, swap = 0, have_descr = 0, have_order = 0, fortran = 0, rank = -1;
    int64_t dims[KRT_MAX_RANK] = {0};
    if (!eat(&c, '{')) goto malformed;
    while (!eat(&c, '}')) {
        const char *key;
        size_t klen;
        if (!parse_str(&c, &key, &klen) || !eat(&c, ':')) goto malformed;
        if (klen == 5 && memcmp(key, "descr", 5) == 0) {
            const char *d;
            size_t dlen;
            if (!parse_str(&c, &d, &dlen)) {
                /* A list here means a structured dtype. */
                return npy_fail(err, errlen, KRT_ERR_DTYPE,
                                "%s: unsupported dtype (structured or non-string descr)", path);
            }
            dtype = descr_to_dtype(d, dlen, &swap);
            if (!dtype)
                return npy_fail(err, errlen, KRT_ERR_DTYPE, "%s: unsupported dtype '%.*s'", path,
                                (int)(dlen > 32 ? 32 : dlen), d);
            have_descr = 1;
        } else if (klen == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (parse_word(&c, "False")) fortran = 0;
            else if (parse_word(&c, "True")) fortran = 1;
            else goto malformed;
            have_order = 1;
        } else if (klen == 5 && memcmp(key, "shape", 5) == 0) {
            rank = parse_shape(&c, dims);
            if (rank == -2)
                return npy_fail(err, errlen, KRT_ERR_SHAPE, "%s: rank exceeds the maximum of %d",
                                path, KRT_MAX_RANK);
            if (rank < 0) goto malformed;
        } else {
            goto malformed;
        }
        if (!eat(&c, ',')) {
            if (eat(&c, '}')) break;
            goto malformed;
        }
    }
    if (!have_descr || !have_order || rank < 0) goto malformed;

    size_t esize = krt_dtype_size(dtype), numel = 1;
    int nontrivial = 0;                /* dims > 1: C and Fortran layouts differ past one */
    for (int i = 0; i < rank; i++) {
        if (dims[i] != 0 && numel > ((size_t)-1) / esize / (size_t)dims[i])
            return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: shape too large", path);
        numel *= (size_t)dims[i];
        nontrivial += dims[i] > 1;
    }
    if (fortran && nontrivial > 1)
        return npy_fail(err, errlen, KRT_ERR_FORMAT,
                        "%s: unsupported fortran_order=True array (save it with "
                        "np.ascontiguousarray)", path);
    size_t bytes = numel * esize, have = len - hstart - hlen;
    if (have != bytes)
        return npy_fail(err, errlen, KRT_ERR_FORMAT,
                        "%s: data is %zu bytes, expected %zu for %s with %zu elements", path, have,
                        bytes, krt_dtype_name(dtype), numel);
    void *data = malloc(bytes ? bytes : 1);
    if (!data) return npy_fail(err, errlen, KRT_ERR_NOMEM, "%s: out of memory", path);
    memcpy(data, buf + hstart + hlen, bytes);
    if (swap) swap_bytes(data, numel, esize);

    t->dtype = dtype;
    t->rank = rank;
    memcpy(t->dims, dims, sizeof dims);
    t->data = data;
    t->bytes = bytes;
    return KRT_OK;

malformed:
    return npy_fail(err, errlen, KRT_ERR_FORMAT, "%s: malformed .npy header", path);
}

int krt_npy_read(const char *path, KrtTensor *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    void *buf;
    size_t len;
    int rc = krt_read_file(path, &buf, &len, err, errlen);
    if (rc != KRT_OK) return rc;
    rc = npy_parse(path, buf, len, t, err, errlen);
    free(buf);
    return rc;
}

/* ---- write --------------------------------------------------------------- */

int krt_npy_write(const char *path, const KrtTensor *t, char *err, size_t errlen) {
    const char *kind = NULL;
    size_t esize = krt_dtype_size(t->dtype);
    for (size_t i = 0; i < NPY_NTYPES; i++)
        if (npy_types[i].dtype == t->dtype) {
            kind = &npy_types[i].kind;
            break;
        }
    if (!kind || esize == 0)
        return npy_fail(err, errlen, KRT_ERR_DTYPE, "%s: cannot write dtype %s to .npy", path,
                        krt_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > KRT_MAX_RANK)
        return npy_fail(err, errlen, KRT_ERR_SHAPE, "%s: bad rank %d", path, t->rank);
    size_t numel = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return npy_fail(err, errlen, KRT_ERR_SHAPE, "%s: negative dimension", path);
        if (t->dims[i] != 0 && numel > ((size_t)-1) / esize / (size_t)t->dims[i])
            return npy_fail(err, errlen, KRT_ERR_SHAPE, "%s: shape too large", path);
        numel *= (size_t)t->dims[i];
    }
    if (numel * esize != t->bytes || (t->bytes && !t->data))
        return npy_fail(err, errlen, KRT_ERR_SHAPE,
                        "%s: tensor holds %zu bytes, shape needs %zu", path, t->bytes,
                        numel * esize);

    /* Written in host order with the matching descr, so no swapping here. */
    char order = esize == 1 ? '|' : host_is_little() ? '<' : '>';
    char shape[KRT_MAX_RANK * 24 + 4];
    size_t sp = 0;
    shape[sp++] = '(';
    for (int i = 0; i < t->rank; i++)
        sp += (size_t)snprintf(shape + sp, sizeof shape - sp, i ? ", %lld" : "%lld",
                               (long long)t->dims[i]);
    if (t->rank == 1) shape[sp++] = ',';
    shape[sp++] = ')';
    shape[sp] = 0;

    char header[512];
    int hn = snprintf(header, sizeof header,
                      "{'descr': '%c%c%zu', 'fortran_order': False, 'shape': %s, }", order, *kind,
                      esize, shape);
    /* Pad with spaces so magic + version + length + header is a multiple of 64,
     * the last byte being '\n' (what NumPy itself writes). */
    size_t total = 10 + (size_t)hn + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t hlen = padded - 10;
    if (hlen >= sizeof header)
        return npy_fail(err, errlen, KRT_ERR_SHAPE, "%s: header too long", path);
    memset(header + hn, ' ', hlen - (size_t)hn);
    header[hlen - 1] = '\n';

    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f) return npy_fail(err, errlen, KRT_ERR_IO, "%s: cannot create: %s", path,
                           strerror(errno));
    int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(header, 1, hlen, f) == hlen &&
             (t->bytes == 0 || fwrite(t->data, 1, t->bytes, f) == t->bytes);
    if (fclose(f) != 0) ok = 0;
    if (!ok) return npy_fail(err, errlen, KRT_ERR_IO, "%s: write error", path);
    return KRT_OK;
}
