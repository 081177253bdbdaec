/*
 * emit.c - the Emitter: an in-memory, growable text buffer with indentation
 * and printf-checked formatting, plus deterministic number printing. Every
 * generated file is built here and written only when the compile succeeds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

void emit_init(Emitter *e, const char *prefix) {
    memset(e, 0, sizeof *e);
    e->at_line_start = 1;
    e->prefix = prefix;
}

void emit_free(Emitter *e) {
    free(e->buf);
    e->buf = NULL;
    e->len = e->cap = 0;
}

static void reserve(Emitter *e, size_t n) {
    if (e->oom || e->len + n + 1 <= e->cap) return;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + n + 1) cap *= 2;
    char *b = realloc(e->buf, cap);
    if (!b) {
        e->oom = 1;
        return;
    }
    e->buf = b;
    e->cap = cap;
}

void emit_raw(Emitter *e, const char *s, size_t n) {
    reserve(e, n);
    if (e->oom) return;
    memcpy(e->buf + e->len, s, n);
    e->len += n;
    e->buf[e->len] = 0;
    if (n) e->at_line_start = s[n - 1] == '\n';
}

/* Text goes in line by line so each line gets the current indentation. */
static void emit_text(Emitter *e, const char *s, size_t n) {
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t line = nl ? (size_t)(nl - s) + 1 : n;
        if (e->at_line_start && line > 1)
            for (int i = 0; i < e->indent; i++) emit_raw(e, "    ", 4);
        emit_raw(e, s, line);
        s += line;
        n -= line;
    }
}

void emit_v(Emitter *e, const char *fmt, va_list ap) {
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        emit_text(e, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) e->oom = 1;
        else {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            emit_text(e, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
}

void emit(Emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, fmt, ap);
    va_end(ap);
}

void emit_i64s(Emitter *e, const int64_t *v, int n) {
    emit(e, "{");
    for (int i = 0; i < n; i++) emit(e, i ? ", %lld" : "%lld", (long long)v[i]);
    if (n == 0) emit(e, "0"); /* C forbids empty initializers */
    emit(e, "}");
}

static void emit_number(Emitter *e, double v, const char *suffix) {
    if (isnan(v)) emit(e, "NAN");
    else if (isinf(v)) emit(e, v < 0 ? "-INFINITY" : "INFINITY");
    else {
        char buf[64];
        /* %.9g round-trips a float; doubles need %.17g */
        snprintf(buf, sizeof buf, *suffix ? "%.9g" : "%.17g", v);
        /* make it a floating literal */
        if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
        emit(e, "%s%s", buf, suffix);
    }
}

void emit_float(Emitter *e, double v) { emit_number(e, (double)(float)v, "f"); }
void emit_double(Emitter *e, double v) { emit_number(e, v, ""); }

void emit_use(Emitter *e, KernelFile k) { e->kernels |= 1u << k; }
