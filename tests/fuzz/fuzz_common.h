/*
 * fuzz_common.h - what both libFuzzer targets share: the rest of `kiln
 * compile` after a frontend has built a Graph (shape inference and folding,
 * the pass pipeline with the verifier between passes, memory planning, C
 * emission into memory; no file is written), and the checks that make a
 * clean-looking result a finding too.
 *
 * A crash, a sanitizer report, a hang (libFuzzer -timeout) or an oversized
 * allocation (-malloc_limit_mb) is a finding by libFuzzer's own rules. On
 * top of that these abort (so libFuzzer saves the input):
 *   - a failure with no diagnostic (kiln would exit 1 saying nothing),
 *   - a diagnostic that does not lead with the model's file name,
 *   - an internal error, when KILN_FUZZ_INTERNAL=1 is set (off by default:
 *     internal errors exit 2 cleanly, but each one is a compiler bug worth
 *     a look when hunting).
 */
#ifndef KILN_FUZZ_COMMON_H
#define KILN_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/c/cgen.h"
#include "kiln.h"

static void fuzz_fail(const char *why, const Diag *d) {
    fprintf(stderr, "fuzz: %s\n%s", why, d->text ? d->text : "(no diagnostics)\n");
    abort();
}

/* Every line of the diagnostics must lead with the file name. */
static void fuzz_check_diag(const Diag *d, const char *file) {
    size_t fl = strlen(file);
    for (const char *s = d->text; s && *s;) {
        if (strncmp(s, file, fl) != 0 || s[fl] != ':') fuzz_fail("diagnostic line without the file name", d);
        const char *nl = strchr(s, '\n');
        s = nl ? nl + 1 : s + strlen(s);
    }
}

/* Runs everything after the frontend; frees g. */
static void fuzz_compile(Graph *g, Diag *d, const char *file) {
    static int strict_internal = -1;
    if (strict_internal < 0) {
        const char *e = getenv("KILN_FUZZ_INTERNAL");
        strict_internal = e && *e == '1';
    }
    int rc = -1;
    if (g) {
        KilnOptions o;
        kiln_options_init(&o);
        o.name = "fuzz";
        o.verify_each = 1;
        rc = ir_infer(g, d);
        if (!rc) rc = kiln_optimize(g, &o, d);
        if (!rc) {
            OutFiles files = {0};
            rc = cg_emit_model(g, &files, d);
            if (!rc) rc = cg_emit_exe(g, &files, d);
            outfiles_free(&files);
        }
        ir_graph_free(g);
    }
    if (rc && d->nerrors == 0) fuzz_fail("failed without a diagnostic", d);
    if (!rc && d->nerrors != 0) fuzz_fail("succeeded but reported errors", d);
    if (strict_internal && d->internal) fuzz_fail("internal error", d);
    fuzz_check_diag(d, file);
}

#endif
