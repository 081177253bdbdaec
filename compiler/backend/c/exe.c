/*
 * exe.c - with --exe, the standalone program around a generated model:
 * main.c, Makefile and CMakeLists.txt from templates/ (only @NAME@ is
 * substituted) and the runtime sources, all embedded in kiln at build time.
 */
#include <stdlib.h>
#include <string.h>

#include "c/cgen.h"
#include "emit.h"

extern const char *const krt_embedded_names[];
extern const char *const krt_embedded_texts[];
extern const int krt_embedded_count;

static char *substitute(const char *text, const char *name, size_t *len) {
    Emitter e;
    emit_init(&e, name);
    const char *s = text;
    for (const char *p; (p = strstr(s, "@NAME@")); s = p + 6) {
        emit_raw(&e, s, (size_t)(p - s));
        emit_raw(&e, name, strlen(name));
    }
    emit_raw(&e, s, strlen(s));
    if (e.oom) {
        emit_free(&e);
        return NULL;
    }
    *len = e.len;
    return e.buf ? e.buf : calloc(1, 1);
}

int cg_emit_exe(Graph *g, OutFiles *out, Diag *d) {
    int have_main = 0;
    for (int i = 0; i < krt_embedded_count; i++) {
        const char *nm = krt_embedded_names[i];
        const char *base = strrchr(nm, '/');
        base = base ? base + 1 : nm;
        char fname[256];
        size_t len = 0;
        char *data;
        if (!strncmp(nm, "templates/", 10)) {
            size_t bl = strlen(base);
            if (bl < 4 || strcmp(base + bl - 3, ".in")) continue;
            snprintf(fname, sizeof fname, "%.*s", (int)(bl - 3), base);
            data = substitute(krt_embedded_texts[i], g->name, &len);
            if (!strcmp(fname, "main.c")) have_main = 1;
        } else {
            snprintf(fname, sizeof fname, "%s", base);
            len = strlen(krt_embedded_texts[i]);
            data = malloc(len + 1);
            if (data) memcpy(data, krt_embedded_texts[i], len + 1);
        }
        if (!data) return diag_error(d, NULL, "out of memory writing %s", fname);
        if (outfiles_add(out, fname, data, len)) return diag_internal(d, "too many output files");
    }
    if (!have_main) return diag_internal(d, "templates/main.c.in is not embedded in this kiln build");
    return 0;
}
