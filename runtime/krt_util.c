/*
 * krt_util.c - small runtime helpers shared by the generated executables and
 * the compiler: dtype tables, whole-file reads, output-name sanitizing, the
 * monotonic clock, and krt_tensor_read (which picks .npy or TensorProto by
 * looking at the file's first bytes).
 *
 * Plain C11 plus POSIX clock_gettime; copied verbatim into generated projects,
 * so it must build warning-free under -Wall -Wextra -Wconversion -Werror.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "krt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int util_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return KRT_ERR_IO;
}

/* Indexed by ONNX TensorProto.DataType. Size 0 marks the types kiln does not
 * move around (string, complex); their names are kept for error messages. */
static const struct {
    const char *name;
    size_t size;
} dtype_table[] = {
    [0] = {"undefined", 0},  [1] = {"float32", 4},     [2] = {"uint8", 1},
    [3] = {"int8", 1},       [4] = {"uint16", 2},      [5] = {"int16", 2},
    [6] = {"int32", 4},      [7] = {"int64", 8},       [8] = {"string", 0},
    [9] = {"bool", 1},       [10] = {"float16", 2},    [11] = {"float64", 8},
    [12] = {"uint32", 4},    [13] = {"uint64", 8},     [14] = {"complex64", 0},
    [15] = {"complex128", 0}, [16] = {"bfloat16", 2},
};

#define DTYPE_COUNT ((int)(sizeof dtype_table / sizeof dtype_table[0]))

size_t krt_dtype_size(int dtype) {
    if (dtype < 0 || dtype >= DTYPE_COUNT) return 0;
    return dtype_table[dtype].size;
}

const char *krt_dtype_name(int dtype) {
    if (dtype < 0 || dtype >= DTYPE_COUNT) return "unknown";
    return dtype_table[dtype].name;
}

int64_t krt_numel(const KrtTensor *t) {
    int64_t n = 1;                     /* rank 0 is a scalar: one element */
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

void krt_tensor_free(KrtTensor *t) {
    if (!t) return;
    free(t->data);
    t->data = NULL;
    t->bytes = 0;
}

int krt_read_file(const char *path, void **data, size_t *len, char *err, size_t errlen) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return util_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    /* Grow as we go rather than trusting ftell: works for pipes and /dev/stdin. */
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        util_fail(err, errlen, "%s: out of memory", path);
        return KRT_ERR_NOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {            /* keep room for the trailing NUL */
            if (cap > ((size_t)-1) / 2) {
                free(buf);
                fclose(f);
                util_fail(err, errlen, "%s: file too large", path);
                return KRT_ERR_NOMEM;
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                util_fail(err, errlen, "%s: out of memory", path);
                return KRT_ERR_NOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return util_fail(err, errlen, "%s: read error", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return KRT_OK;
}

void krt_sanitize_name(const char *name, char *out, size_t n) {
    if (n == 0) return;
    size_t j = 0;
    for (const char *p = name ? name : ""; *p && j + 1 < n; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.';
        out[j++] = ok ? c : '_';
    }
    /* An empty name would give a hidden file ".npy"; "." and ".." would name
     * directories if a caller used them without a suffix. */
    if (j == 0 || (j == 1 && out[0] == '.') || (j == 2 && out[0] == '.' && out[1] == '.')) {
        for (size_t k = 0; k < j; k++) out[k] = '_';
        if (j == 0 && n > 1) out[j++] = '_';
    }
    out[j] = 0;
}

double krt_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int krt_tensor_read(const char *path, KrtTensor *t, char *err, size_t errlen) {
    /* Sniff the .npy magic; anything else is taken to be a TensorProto, whose
     * parser reports a clear error if it is not one either. */
    unsigned char magic[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(t, 0, sizeof *t);
        return util_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got == sizeof magic && memcmp(magic, "\x93NUMPY", 6) == 0)
        return krt_npy_read(path, t, err, errlen);
    return krt_pb_read(path, t, err, errlen);
}
