/*
 * main.c - the `kiln` command line: compile, inspect, run, ops. The only code
 * in kiln that prints diagnostics or exits. Exit status: 0 ok, 1 bad input
 * (the model, a file, the command line), 2 internal error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

#define KILN_VERSION "0.1.0"

static const char *usage_main =
    "usage: kiln COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  compile MODEL -o DIR   compile an ONNX model (or .kg text graph) to C\n"
    "  inspect MODEL          ops, shapes, parameters, FLOPs and memory plan\n"
    "  run MODEL IN... -o DIR compile, build and run in a temporary folder\n"
    "  ops                    list the supported operators\n"
    "\n"
    "`kiln COMMAND --help` describes each command's options.\n";

static const char *usage_common =
    "  --shape NAME=DIMS   bind input NAME's shape, e.g. --shape input=1x3x224x224\n"
    "  --freeze NAME=FILE  make input NAME a constant read from FILE (.npy or .pb)\n"
    "  --name NAME         C identifier prefixing every generated symbol\n"
    "  -O0 / -O1           optional passes off / on (default -O1)\n";

static const char *usage_compile =
    "usage: kiln compile MODEL -o DIR [options]\n"
    "\n"
    "Writes DIR/NAME.h, NAME.c, NAME.weights and NAME_weights.S; with --exe also a\n"
    "standalone program (main.c, runtime, Makefile, CMakeLists.txt): `make -C DIR`\n"
    "builds DIR/NAME, run as `DIR/NAME IN.npy... -o OUTDIR`.\n"
    "\n"
    "options:\n"
    "  -o DIR              output folder (created)\n"
    "  --exe               also write the standalone program\n"
    "  --dump-after PASS   print the IR after PASS (or 'all') to stdout\n"
    "  --verify-each       run the IR verifier after every pass\n"
    "  --dump-kg FILE      also write the optimized graph as .kg text (+ FILE.bin)\n";

static const char *usage_inspect = "usage: kiln inspect MODEL [options]\n\noptions:\n";
static const char *usage_run =
    "usage: kiln run MODEL IN... [-o OUTDIR] [options]\n"
    "\n"
    "Compiles MODEL with --exe in a temporary folder, builds it with make, and runs it\n"
    "on the inputs (graph-input order, .npy or .pb); outputs go to OUTDIR as .npy.\n"
    "\noptions:\n";

static int parse_dims(const char *s, KilnShape *sh) {
    sh->rank = 0;
    if (!*s) return 0; /* scalar */
    while (*s) {
        if (sh->rank >= KILN_MAX_RANK) return -1;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || v < 0) return -1;
        sh->dims[sh->rank++] = v;
        if (*end == 'x' || *end == ',') end++;
        else if (*end) return -1;
        s = end;
    }
    return 0;
}

/* NAME=VALUE, split at the LAST '=' so tensor names may contain '='. */
static char *split_binding(char *arg) {
    char *eq = strrchr(arg, '=');
    if (!eq || eq == arg) return NULL;
    *eq = 0;
    return eq + 1;
}

static int bad_usage(const char *msg, const char *arg, const char *usage) {
    fprintf(stderr, "kiln: %s%s%s\n\n%s", msg, arg ? " " : "", arg ? arg : "", usage);
    return 1;
}

static int finish(Diag *d, int rc) {
    if (d->text) fputs(d->text, stderr);
    int code = rc == 0 ? 0 : d->internal ? 2 : 1;
    diag_free(d);
    return code;
}

int main(int argc, char **argv) {
    if (argc < 2) return bad_usage("no command given", NULL, usage_main);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("kiln %s\n", KILN_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "ops")) {
        for (int k = 0; k < OP_COUNT_; k++) printf("%s\n", op_table[k].onnx_name);
        return 0;
    }
    const char *usage = !strcmp(cmd, "compile") ? usage_compile
                        : !strcmp(cmd, "inspect") ? usage_inspect
                        : !strcmp(cmd, "run")     ? usage_run
                                                  : NULL;
    if (!usage) return bad_usage("unknown command", cmd, usage_main);

    KilnOptions o;
    kiln_options_init(&o);
    const char *model = NULL;
    char **inputs = calloc((size_t)argc, sizeof(char *));
    int ninputs = 0;
    if (!inputs) return 2;
    for (int i = 2; i < argc; i++) {
        char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s%s", usage, usage_common);
            free(inputs);
            return 0;
        } else if (!strcmp(a, "-o") && next) {
            o.outdir = argv[++i];
        } else if (!strcmp(a, "--name") && next) {
            o.name = argv[++i];
        } else if (!strcmp(a, "--exe")) {
            o.exe = 1;
        } else if (!strcmp(a, "-O0") || !strcmp(a, "-O1")) {
            o.opt_level = a[2] - '0';
        } else if (!strcmp(a, "--verify-each")) {
            o.verify_each = 1;
        } else if (!strcmp(a, "--dump-after") && next) {
            o.dump_after = argv[++i];
        } else if (!strcmp(a, "--dump-kg") && next) {
            o.dump_kg = argv[++i];
        } else if ((!strcmp(a, "--shape") || !strcmp(a, "--freeze")) && next) {
            char *arg = argv[++i];
            char *val = split_binding(arg);
            if (!val) return free(inputs), bad_usage("expected NAME=VALUE after", a, usage);
            if (o.nshapes >= KILN_MAX_BINDINGS || o.nfreeze >= KILN_MAX_BINDINGS)
                return free(inputs), bad_usage("too many bindings", NULL, usage);
            if (a[2] == 's') {
                KilnShape *sh = &o.shapes[o.nshapes++];
                sh->name = arg;
                if (parse_dims(val, sh)) return free(inputs), bad_usage("bad dimensions (want e.g. 1x3x224x224):", val, usage);
            } else {
                o.freeze[o.nfreeze].name = arg;
                o.freeze[o.nfreeze++].file = val;
            }
        } else if (a[0] == '-' && a[1]) {
            free(inputs);
            return bad_usage("unknown or incomplete option", a, usage);
        } else if (!model) {
            model = a;
        } else if (!strcmp(cmd, "run")) {
            inputs[ninputs++] = a;
        } else {
            free(inputs);
            return bad_usage("unexpected argument", a, usage);
        }
    }
    if (!model) return free(inputs), bad_usage("no model file given", NULL, usage);
    Diag d;
    diag_init(&d, model);
    int rc;
    if (!strcmp(cmd, "compile")) {
        if (!o.outdir) return free(inputs), diag_free(&d), bad_usage("no output folder (-o DIR)", NULL, usage);
        o.dump_file = stdout;
        rc = kiln_compile(model, &o, &d);
    } else if (!strcmp(cmd, "inspect")) {
        rc = kiln_inspect(model, &o, stdout, &d);
    } else {
        rc = kiln_run(model, ninputs, inputs, o.outdir, &o, &d);
    }
    free(inputs);
    return finish(&d, rc);
}
