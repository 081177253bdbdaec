/*
 * diag.c - diagnostics. Library code appends messages here and returns a
 * status; only main.c prints them. Every message leads with where: the file,
 * then the node ("model.onnx: node 'conv1' (Conv): ..."), so a user can find
 * the problem and tests can assert the node name appears.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

void diag_init(Diag *d, const char *file) {
    memset(d, 0, sizeof *d);
    d->file = file;
}

void diag_free(Diag *d) {
    free(d->text);
    d->text = NULL;
    d->len = d->cap = 0;
}

static void diag_append(Diag *d, const char *s, size_t n) {
    if (d->len + n + 2 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 512;
        while (cap < d->len + n + 2) cap *= 2;
        char *t = realloc(d->text, cap);
        if (!t) return; /* out of memory: drop the message, keep the count */
        d->text = t;
        d->cap = cap;
    }
    memcpy(d->text + d->len, s, n);
    d->len += n;
    d->text[d->len] = 0;
}

/* Formats one piece of a message. Control characters (a newline in a node
 * or value name read from a hostile model) are written as \xNN, so every
 * message stays one line and leads with the file: tests and tools read the
 * first line. */
static void diag_appendf(Diag *d, const char *fmt, va_list ap) {
    char buf[2048], esc[5];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 32 && c != 127) continue;
        diag_append(d, buf + start, i - start);
        snprintf(esc, sizeof esc, "\\x%02x", c);
        diag_append(d, esc, 4);
        start = i + 1;
    }
    diag_append(d, buf + start, len - start);
}

static void diag_prefix(Diag *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_appendf(d, fmt, ap);
    va_end(ap);
}

int diag_verror(Diag *d, const Node *n, const char *fmt, va_list ap) {
    if (!d) return -1;
    d->nerrors++;
    if (d->file) diag_prefix(d, "%s: ", d->file);
    if (n) diag_prefix(d, "node '%s' (%s): ", n->name ? n->name : "?", op_name(n->op));
    diag_appendf(d, fmt, ap);
    diag_append(d, "\n", 1);
    return -1;
}

int diag_error(Diag *d, const Node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, n, fmt, ap);
    va_end(ap);
    return -1;
}

int diag_internal_at(Diag *d, const char *src, int line, const char *fmt, ...) {
    if (!d) return -1;
    d->nerrors++;
    d->internal = 1;
    if (d->file) diag_prefix(d, "%s: ", d->file);
    const char *base = strrchr(src, '/');
    diag_prefix(d, "internal error at %s:%d: ", base ? base + 1 : src, line);
    va_list ap;
    va_start(ap, fmt);
    diag_appendf(d, fmt, ap);
    va_end(ap);
    diag_append(d, "\n", 1);
    return -1;
}
