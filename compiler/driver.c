/*
 * driver.c - one compilation, start to end: load (ONNX or .kg), bind shapes,
 * infer and fold, run the pass pipeline, plan memory, emit, and write the
 * output folder. Files are written under a temporary name inside the output
 * folder and renamed into place only when everything succeeded, so a failed
 * compile leaves no partial output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/c/cgen.h"
#include "frontend/text.h"
#include "kiln.h"
#include "passes/pack.h"

void kiln_options_init(KilnOptions *o) {
    memset(o, 0, sizeof *o);
    o->opt_level = 1;
    o->cpu = KILN_CPU_NATIVE;
    o->threads = 0;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Model name: --name, else the file's base name made a C identifier. */
static void default_name(const char *path, char *out, size_t n) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t j = 0;
    if (base[0] >= '0' && base[0] <= '9' && j + 1 < n) out[j++] = 'm';
    for (size_t i = 0; base[i] && base[i] != '.' && j + 1 < n; i++) {
        char c = base[i];
        out[j++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
    }
    if (j == 0) out[j++] = 'm';
    out[j] = 0;
}

static int valid_identifier(const char *s) {
    if (!s || !*s || (*s >= '0' && *s <= '9')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

Graph *kiln_load(const char *path, const KilnOptions *o, Diag *d) {
    char name[128];
    KilnOptions local = *o;
    if (o->name) {
        if (!valid_identifier(o->name) || strlen(o->name) > 64) {
            diag_error(d, NULL, "--name '%s' is not a C identifier (letters, digits, _; at most 64)", o->name);
            return NULL;
        }
    } else {
        default_name(path, name, sizeof name);
        local.name = name;
    }
    Graph *g = ends_with(path, ".kg") ? text_load(path, local.name, d) : onnx_load(path, &local, d);
    if (!g) return NULL;
    if (ir_infer(g, d)) {
        ir_graph_free(g);
        return NULL;
    }
    return g;
}

int kiln_optimize(Graph *g, const KilnOptions *o, Diag *d) {
    int dumped = 0;
    for (int i = 0; i < pass_count; i++) {
        const Pass *p = &pass_pipeline[i];
        if (p->min_level > o->opt_level) continue;
        if (p->fn(g, d)) return -1;
        if (o->verify_each && ir_verify(g, d)) return -1;
        if (o->dump_after && (!strcmp(o->dump_after, "all") || !strcmp(o->dump_after, p->name))) {
            FILE *f = o->dump_file ? o->dump_file : stdout;
            fprintf(f, "# after %s\n", p->name);
            ir_dump(g, f);
            dumped = 1;
        }
    }
    if (o->dump_after && !dumped && strcmp(o->dump_after, "all")) {
        int known = 0;
        for (int i = 0; i < pass_count; i++) known |= !strcmp(o->dump_after, pass_pipeline[i].name);
        if (!known) {
            char list[512] = "";
            for (int i = 0; i < pass_count; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, pass_pipeline[i].name, sizeof list - strlen(list) - 1);
            }
            return diag_error(d, NULL, "--dump-after: unknown pass '%s' (passes: %s, all)", o->dump_after, list);
        }
    }
    if (ir_verify(g, d)) return -1;
    g->inplace_io = o->inplace_io;
    g->ftz = o->ftz != 0;
    /* lowering to the fast kernels: target-dependent, after the pipeline */
    /* --threads 0 (default): the compiling machine's online cores, like
     * --cpu=native; scratch is planned for exactly that many workers (sizing
     * it for the 16-thread maximum fragmented the arena well above its bound) */
    int threads = o->threads;
    if (threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc < 1 ? 1 : nc > 16 ? 16 : (int)nc;
    }
    if (o->opt_level >= 1 && pass_pack(g, o->cpu, threads, d)) return -1;
    return pass_memplan_level(g, o->opt_level, d);
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static int write_all(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : -1;
}

/* Write every file as OUTDIR/.NAME.kiln-tmp, then rename them all. */
static int write_outputs(const char *outdir, OutFiles *files, Diag *d) {
    if (mkdir_p(outdir)) return diag_error(d, NULL, "cannot create output folder '%s': %s", outdir, strerror(errno));
    char tmp[4096], dst[4096];
    int rc = 0, written = 0;
    for (int i = 0; i < files->n && !rc; i++) {
        snprintf(tmp, sizeof tmp, "%s/.%s.kiln-tmp", outdir, files->f[i].name);
        if (write_all(tmp, files->f[i].data, files->f[i].len))
            rc = diag_error(d, NULL, "cannot write '%s': %s", tmp, strerror(errno));
        else written = i + 1;
    }
    for (int i = 0; i < written; i++) {
        snprintf(tmp, sizeof tmp, "%s/.%s.kiln-tmp", outdir, files->f[i].name);
        snprintf(dst, sizeof dst, "%s/%s", outdir, files->f[i].name);
        if (rc) unlink(tmp);
        else if (rename(tmp, dst)) rc = diag_error(d, NULL, "cannot write '%s': %s", dst, strerror(errno));
    }
    return rc;
}

int kiln_compile(const char *path, const KilnOptions *o, Diag *d) {
    if (!o->outdir) return diag_error(d, NULL, "no output folder (-o DIR)");
    Graph *g = kiln_load(path, o, d);
    if (!g) return -1;
    OutFiles files = {0};
    int rc = kiln_optimize(g, o, d);
    if (!rc) rc = cg_emit_model(g, &files, d);
    if (!rc && o->exe) rc = cg_emit_exe(g, &files, d);
    if (!rc && o->dump_kg) rc = text_dump_pair(g, o->dump_kg, d);
    if (!rc) rc = write_outputs(o->outdir, &files, d);
    outfiles_free(&files);
    ir_graph_free(g);
    return rc;
}
