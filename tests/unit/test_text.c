/*
 * test_text.c - the .kg text format: parse -> dump -> parse -> dump is
 * byte-identical (hand-written nets, the golden dump of every construct, the
 * sidecar pair), seeded constants give fixed bits, blobs load the right
 * bytes, every tests/text/err_*.kg fixture produces the first diagnostic line
 * in its .err file, and mutated inputs never crash the parser.
 *
 * Regenerate the golden files (syntax.dump, err_*.err) with
 *   KILN_REGEN=1 tests/kiln_unit --filter text/\*
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/text.h"
#include "ir.h"

#define TEXT_DIR KILN_SOURCE_DIR "/tests/text"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
        size_t r = fread(buf + n, 1, cap - n, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(data, f);
    fclose(f);
}

/* The dump of g as a malloc'd string. */
static char *dump_str(Graph *g) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(ir_dump(g, f), 0, "ir_dump reported a problem");
    fclose(f);
    return buf;
}

static Graph *load_ok(const char *path) {
    Diag d;
    diag_init(&d, path);
    Graph *g = text_load(path, NULL, &d);
    cr_assert_not_null(g, "loading %s failed:\n%s", path, d.text ? d.text : "");
    diag_free(&d);
    return g;
}

static Graph *parse_ok(const char *src, const char *path) {
    Diag d;
    diag_init(&d, path);
    Graph *g = text_parse(src, strlen(src), path, NULL, &d);
    cr_assert_not_null(g, "parsing the dump failed:\n%s\n--- text:\n%s", d.text ? d.text : "", src);
    diag_free(&d);
    return g;
}

/* dump(g) must parse, and dumping the result must give the same bytes. */
static char *assert_round_trip(Graph *g, const char *path) {
    char *d1 = dump_str(g);
    Graph *g2 = parse_ok(d1, path);
    char *d2 = dump_str(g2);
    cr_assert_str_eq(d2, d1, "dump -> parse -> dump differs");
    free(d2);
    ir_graph_free(g2);
    return d1;
}

static bool regen(void) { return getenv("KILN_REGEN") != NULL; }

Test(text, tiny_net_round_trips) {
    Graph *g = load_ok(TEXT_DIR "/tiny.kg");
    cr_assert_str_eq(g->name, "tiny");
    cr_assert_eq(g->opset, 13);
    cr_assert_eq(g->ninputs, 1);
    cr_assert_eq(g->noutputs, 1);
    cr_assert_eq(g->nnodes, 6);
    cr_assert_eq(g->nodes[0]->op, OP_CONV);
    cr_assert_eq(g->nodes[0]->nattrs, 3);
    free(assert_round_trip(g, TEXT_DIR "/tiny.kg"));
    ir_graph_free(g);
}

Test(text, inferred_dump_has_checked_annotations) {
    Graph *g = load_ok(TEXT_DIR "/tiny.kg");
    Diag d;
    diag_init(&d, "tiny.kg");
    cr_assert_eq(ir_infer(g, &d), 0, "%s", d.text ? d.text : "");
    diag_free(&d);
    char *text = assert_round_trip(g, TEXT_DIR "/tiny.kg");
    cr_assert(strstr(text, "-> (c1: f32[1,4,8,8])"), "annotation missing:\n%s", text);
    cr_assert(strstr(text, "-> (y: f32[1,10])"));
    /* a wrong annotation is caught at its position */
    char *bad = strdup(text);
    char *p = strstr(bad, "f32[1,10]) axis");
    cr_assert_not_null(p);
    p[6] = '2'; /* f32[1,20] */
    Diag d2;
    diag_init(&d2, "bad.kg");
    Graph *g2 = text_parse(bad, strlen(bad), "bad.kg", NULL, &d2);
    cr_assert_null(g2);
    cr_assert(strstr(d2.text, "output 'y' is annotated f32[1,20] but shape inference gives f32[1,10]"), "%s", d2.text);
    cr_assert(!strncmp(d2.text, "bad.kg:", 7));
    diag_free(&d2);
    free(bad);
    free(text);
    ir_graph_free(g);
}

Test(text, every_construct_matches_golden_dump) {
    Graph *g = load_ok(TEXT_DIR "/syntax.kg");
    char *text = assert_round_trip(g, TEXT_DIR "/syntax.kg");
    if (regen()) write_file(TEXT_DIR "/syntax.dump", text);
    char *golden = read_file(TEXT_DIR "/syntax.dump", NULL);
    cr_assert_not_null(golden, "tests/text/syntax.dump missing (KILN_REGEN=1 writes it)");
    cr_assert_str_eq(text, golden, "dump of syntax.kg differs from syntax.dump");

    /* a few values, to be sure the round trip is not trivially wrong */
    Value *v = ir_value_find(g, "c_f32");
    const float *f = v->data;
    cr_assert_eq(f[1], -2.5f);
    cr_assert(isinf(f[2]) && f[2] > 0 && isinf(f[3]) && f[3] < 0 && isnan(f[4]) && signbit(f[5]));
    v = ir_value_find(g, "c_i64");
    cr_assert_eq(((const int64_t *)v->data)[0], INT64_MIN);
    v = ir_value_find(g, "c_u64");
    cr_assert_eq(((const uint64_t *)v->data)[0], UINT64_MAX);
    v = ir_value_find(g, "c_f16");
    cr_assert_eq(((const uint16_t *)v->data)[2], 0x7bff); /* 65504 */
    cr_assert_not_null(ir_value_find(g, "spaces\tand \"quotes\""));
    Node *clip = g->nodes[1];
    cr_assert_eq(clip->opset, 11);
    cr_assert_null(clip->inputs[1]);
    Node *at = g->nodes[4];
    cr_assert_null(at->outputs[1]);
    Attr *a = ir_attr_find(at, "f_int");
    cr_assert_eq(a->type, AT_FLOAT);
    a = ir_attr_find(at, "s");
    cr_assert_str_eq(a->s, "a \\ b\n\x01");
    a = ir_attr_find(at, "empty_s");
    cr_assert_eq(a->type, AT_STRINGS);
    cr_assert_eq(a->n, 0);
    a = ir_attr_find(at, "t");
    cr_assert_eq(a->type, AT_TENSOR);
    cr_assert_eq(a->t->dtype, DT_I64);
    cr_assert_eq(((const int64_t *)a->t->data)[1], 5);
    free(golden);
    free(text);
    ir_graph_free(g);
}

static uint32_t f32_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/* Expected bits come from an independent Python model of the generator
 * (splitmix64, 53-bit uniforms, polar method with the series log). */
Test(text, seeded_constants_have_fixed_bits) {
    const char *src = "kg 1\ngraph s\nopset 13\n"
                      "const u: f32[5] = seeded(uniform, 42, -1, 1)\n"
                      "const n: f32[5] = seeded(normal, 42, 0, 1)\n"
                      "const d: f64[5] = seeded(normal, 7, 0.5, 2)\n"
                      "const e: f64[3] = seeded(uniform, 0, -0.125, 0.125)\n"
                      "output u\noutput n\noutput d\noutput e\n";
    Graph *g = parse_ok(src, "s.kg");
    static const uint32_t u[] = {0x3ef75cc9, 0xbf2e203a, 0xbee2b663, 0xbe9f8c78, 0xbf6c874f};
    static const uint32_t n[] = {0x3efc6407, 0xbf31aa5b, 0xbfa3fa58, 0xbf66cc74, 0xbf1a14ad};
    static const uint64_t dd[] = {0x3fdaa836b9188133ull, 0x3fc121a7c954b884ull, 0x400206116ed550b2ull,
                                  0x3feb9b9a5716e976ull, 0xbfbcaadfd89778b0ull};
    static const uint64_t ee[] = {0x3fb8882a0e5ec772ull, 0xbf918761955e46a0ull, 0xbfbe4ee8b9dffdb0ull};
    const float *pu = ir_value_find(g, "u")->data, *pn = ir_value_find(g, "n")->data;
    const uint64_t *pd = ir_value_find(g, "d")->data, *pe = ir_value_find(g, "e")->data;
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(f32_bits(pu[i]), u[i], "uniform[%d] = %08x", i, f32_bits(pu[i]));
        cr_assert_eq(f32_bits(pn[i]), n[i], "normal[%d] = %08x", i, f32_bits(pn[i]));
        cr_assert_eq(pd[i], dd[i], "normal f64[%d]", i);
    }
    for (int i = 0; i < 3; i++) cr_assert_eq(pe[i], ee[i], "uniform f64[%d]", i);
    /* the dump prints the spec back, not the data */
    char *text = dump_str(g);
    cr_assert(strstr(text, "const d: f64[5] = seeded(normal, 7, 0.5, 2)\n"), "%s", text);
    free(text);
    ir_graph_free(g);
}

Test(text, seeded_statistics_are_plausible) {
    const char *src = "kg 1\ngraph s\nopset 13\n"
                      "const u: f32[100000] = seeded(uniform, 5, 2, 3)\n"
                      "const n: f64[100000] = seeded(normal, 5, 1, 0.5)\n"
                      "output u\noutput n\n";
    Graph *g = parse_ok(src, "s.kg");
    const float *pu = ir_value_find(g, "u")->data;
    const double *pn = ir_value_find(g, "n")->data;
    double su = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < 100000; i++) {
        cr_assert(pu[i] >= 2 && pu[i] <= 3);
        su += pu[i];
        sn += pn[i];
        sn2 += pn[i] * pn[i];
    }
    double mn = sn / 1e5, var = sn2 / 1e5 - mn * mn;
    cr_assert(fabs(su / 1e5 - 2.5) < 0.01, "uniform mean %g", su / 1e5);
    cr_assert(fabs(mn - 1) < 0.01, "normal mean %g", mn);
    cr_assert(fabs(var - 0.25) < 0.01, "normal variance %g", var);
    ir_graph_free(g);
}

Test(text, blob_constants_read_the_sidecar) {
    Graph *g = load_ok(TEXT_DIR "/blob.kg");
    Value *w = ir_value_find(g, "w"), *v = ir_value_find(g, "v");
    cr_assert_eq(w->offset, 0);
    cr_assert_eq(v->offset, 128);
    for (int i = 0; i < 20; i++) cr_assert_eq(((const float *)w->data)[i], (float)i * 0.5f);
    for (int i = 0; i < 17; i++) cr_assert_eq(((const int64_t *)v->data)[i], (int64_t)i * i - 100);
    char *text = dump_str(g);
    cr_assert(strstr(text, "weights \"blobby.bin\"\n"), "%s", text);
    cr_assert(strstr(text, "const v: i64[17] = blob(128, 136)\n"), "%s", text);
    free(text);
    ir_graph_free(g);
}

static void rm_pair(const char *kg) {
    char bin[700];
    snprintf(bin, sizeof bin, "%s.bin", kg);
    unlink(kg);
    unlink(bin);
}

/* text_dump_pair writes FILE + FILE.bin; reading and writing again gives the
 * same bytes, and the data survives. */
Test(text, dump_pair_round_trips_with_sidecar) {
    char dir[] = "/tmp/kiln_text_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[600], b[600], abin[700], bbin[700];
    snprintf(a, sizeof a, "%s/a.kg", dir);
    snprintf(b, sizeof b, "%s/b.kg", dir);
    snprintf(abin, sizeof abin, "%s.bin", a);
    snprintf(bbin, sizeof bbin, "%s.bin", b);

    Graph *g = load_ok(TEXT_DIR "/tiny.kg");
    Value *w2 = ir_value_find(g, "w2");
    w2->seed_spec = NULL; /* as if it came from ONNX: 640 floats become a blob */
    Diag d;
    diag_init(&d, "x");
    cr_assert_eq(text_dump_pair(g, a, &d), 0, "%s", d.text ? d.text : "");
    Graph *g2 = load_ok(a);
    Value *w2b = ir_value_find(g2, "w2");
    cr_assert_null(w2b->seed_spec);
    cr_assert_eq(memcmp(w2->data, w2b->data, value_bytes(w2)), 0);
    cr_assert_eq(memcmp(ir_value_find(g, "w1")->data, ir_value_find(g2, "w1")->data, 4 * 108), 0);
    cr_assert_eq(text_dump_pair(g2, b, &d), 0, "%s", d.text ? d.text : "");
    size_t la, lb, lab, lbb;
    char *ta = read_file(a, &la), *tb = read_file(b, &lb);
    char *ba = read_file(abin, &lab), *bb = read_file(bbin, &lbb);
    cr_assert(strstr(ta, "weights \"a.kg.bin\"\n"), "%s", ta);
    cr_assert(strstr(ta, "const w2: f32[10,64] = blob(0, 2560)\n"), "%s", ta);
    /* identical apart from the sidecar's name */
    char *p = strstr(tb, "b.kg.bin");
    cr_assert_not_null(p);
    *p = 'a';
    cr_assert_str_eq(ta, tb);
    cr_assert_eq(lab, 2560);
    cr_assert_eq(lab, lbb);
    cr_assert_eq(memcmp(ba, bb, lab), 0);
    free(ta), free(tb), free(ba), free(bb);
    diag_free(&d);
    ir_graph_free(g);
    ir_graph_free(g2);
    rm_pair(a);
    rm_pair(b);
    rmdir(dir);
}

/* A graph built in memory (as the ONNX frontend does): constants without
 * offsets get 64-byte aligned ones in value order, small ones stay inline. */
Test(text, built_graph_dumps_blobs_and_attrs) {
    Graph *g = ir_graph_new("built", "built.onnx");
    g->inputs = calloc(2, sizeof(Value *));
    g->outputs = calloc(4, sizeof(Value *));
    Value *x = ir_value_new(g, "x");
    x->kind = VK_INPUT;
    x->dtype = DT_F32;
    x->rank = 1;
    x->dims[0] = 33;
    x->input_index = 0;
    g->inputs[g->ninputs++] = x;
    int64_t d17 = 17, d33 = 33, d3 = 3;
    Value *c1 = ir_value_new(g, "onnx::Mul_1");
    float *p1 = ir_make_const(g, c1, DT_F32, 1, &d33);
    for (int i = 0; i < 33; i++) p1[i] = (float)i / 3;
    Value *c2 = ir_value_new(g, "c2");
    int32_t *p2 = ir_make_const(g, c2, DT_I32, 1, &d17);
    for (int i = 0; i < 17; i++) p2[i] = -i;
    Value *c3 = ir_value_new(g, "c3");
    double *p3 = ir_make_const(g, c3, DT_F64, 1, &d3);
    p3[0] = 0.1, p3[1] = 1.0 / 3, p3[2] = -1e300;
    Value *y = ir_value_new(g, "y");
    Node *n = ir_node_new(g, OP_MUL, "", 2, 1);
    n->inputs[0] = x;
    n->inputs[1] = c1;
    n->outputs[0] = y;
    Attr *a = ir_attr_set(g, n, "alpha", AT_FLOAT);
    a->f = 1.0;
    a = ir_attr_set(g, n, "modes", AT_STRINGS);
    a->n = 2;
    a->strings = arena_alloc(&g->arena, 2 * sizeof(char *));
    a->strings[0] = "a\"b";
    a->strings[1] = "\x7f";
    y->output_index = 0;
    g->outputs[g->noutputs++] = y;
    c2->output_index = 1; /* constants nothing reads are left out of the dump */
    g->outputs[g->noutputs++] = c2;
    c3->output_index = 2;
    g->outputs[g->noutputs++] = c3;
    Value *unused = ir_value_new(g, "unused");
    ir_make_const(g, unused, DT_F32, 1, &d33);
    char *text = dump_str(g);
    cr_assert_null(strstr(text, "unused"), "%s", text);
    cr_assert(strstr(text, "weights \"built.bin\"\n"), "%s", text);
    cr_assert(strstr(text, "const \"onnx::Mul_1\": f32[33] = blob(0, 132)\n"), "%s", text);
    cr_assert(strstr(text, "const c2: i32[17] = blob(192, 68)\n"), "%s", text);
    cr_assert(strstr(text, "const c3: f64[3] = [0.10000000000000001, 0.33333333333333331, -1.0000000000000001e+300]\n"),
              "%s", text);
    cr_assert(strstr(text, "node Mul_0: Mul(x, \"onnx::Mul_1\") -> (y) alpha=1.0 modes=[\"a\\\"b\", \"\\x7f\"]\n"),
              "%s", text);
    /* ir_dump_weights re-assigns the same layout and writes it */
    char *blob = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&blob, &len);
    cr_assert_eq(ir_dump_weights(g, f), 0);
    fclose(f);
    cr_assert_eq(len, 192 + 68);
    cr_assert_eq(memcmp(blob, p1, 132), 0);
    cr_assert_eq(memcmp(blob + 192, p2, 68), 0);
    char *again = dump_str(g);
    cr_assert_str_eq(again, text);
    free(again);
    free(blob);
    free(text);
    ir_graph_free(g);
}

/* The sidecar may live in a subfolder, but a symbolic link leading out of the
 * .kg file's folder is rejected like "..". */
Test(text, sidecar_path_is_confined_to_the_folder) {
    char dir[] = "/tmp/kiln_text_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char sub[600], bin[700], kg[700], link[700];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(bin, sizeof bin, "%s/w.bin", sub);
    snprintf(kg, sizeof kg, "%s/net.kg", dir);
    snprintf(link, sizeof link, "%s/out.bin", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    write_file(bin, "0123456789abcdef");
    cr_assert_eq(symlink(TEXT_DIR "/blob.bin", link), 0);
    const char *head = "kg 1\ngraph t\nopset 13\n";
    char src[400];
    snprintf(src, sizeof src, "%sweights \"sub/w.bin\"\nconst c: u8[16] = blob(0, 16)\noutput c\n", head);
    write_file(kg, src);
    Graph *g = load_ok(kg);
    cr_assert_eq(memcmp(ir_value_find(g, "c")->data, "0123456789abcdef", 16), 0);
    ir_graph_free(g);
    snprintf(src, sizeof src, "%sweights \"out.bin\"\n", head);
    write_file(kg, src);
    Diag d;
    diag_init(&d, "net.kg");
    cr_assert_null(text_load(kg, NULL, &d));
    cr_assert_str_eq(d.text, "net.kg:4:9: weights path 'out.bin' escapes the folder of the .kg file\n");
    diag_free(&d);
    snprintf(src, sizeof src, "%sweights \"/etc/passwd\"\n", head);
    write_file(kg, src);
    diag_init(&d, "net.kg");
    cr_assert_null(text_load(kg, NULL, &d));
    cr_assert(strstr(d.text, "escapes the folder"), "%s", d.text);
    diag_free(&d);
    unlink(kg), unlink(link), unlink(bin), rmdir(sub), rmdir(dir);
}

Test(text, name_argument_overrides_header) {
    const char *src = "kg 1\ngraph inner\nopset 13\ninput x: f32[1]\noutput x\n";
    Diag d;
    diag_init(&d, "n.kg");
    Graph *g = text_parse(src, strlen(src), "n.kg", "outer", &d);
    cr_assert_not_null(g);
    cr_assert_str_eq(g->name, "outer");
    ir_graph_free(g);
    diag_free(&d);
}

/* First line of d.text. */
static char *first_line(const char *s) {
    size_t n = strcspn(s, "\n");
    char *r = malloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

Test(text, error_fixtures_report_their_err_line) {
    DIR *dir = opendir(TEXT_DIR);
    cr_assert_not_null(dir);
    char *names[256];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && count < 256) {
        size_t n = strlen(e->d_name);
        if (!strncmp(e->d_name, "err_", 4) && n > 3 && !strcmp(e->d_name + n - 3, ".kg"))
            names[count++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof *names, by_name);
    cr_assert(count >= 30, "only %d error fixtures", count);
    for (int i = 0; i < count; i++) {
        char path[600], errpath[600];
        snprintf(path, sizeof path, "%s/%s", TEXT_DIR, names[i]);
        snprintf(errpath, sizeof errpath, "%s/%.*s.err", TEXT_DIR, (int)strlen(names[i]) - 3, names[i]);
        Diag d;
        diag_init(&d, names[i]);
        Graph *g = text_load(path, NULL, &d);
        cr_assert_null(g, "%s loaded without error", names[i]);
        cr_assert_eq(d.nerrors, 1, "%s: %d errors", names[i], d.nerrors);
        char *got = first_line(d.text);
        if (regen()) {
            char buf[1200];
            snprintf(buf, sizeof buf, "%s\n", got);
            write_file(errpath, buf);
        }
        char *want = read_file(errpath, NULL);
        cr_assert_not_null(want, "%s missing", errpath);
        char *wl = first_line(want);
        cr_assert_str_eq(got, wl, "%s:\n got: %s\nwant: %s", names[i], got, wl);
        /* every message leads with FILE:LINE:COL: */
        int line = 0, col = 0;
        cr_assert_eq(sscanf(got + strlen(names[i]), ":%d:%d:", &line, &col), 2, "%s", got);
        cr_assert(line >= 1 && col >= 1);
        free(got), free(want), free(wl), free(names[i]);
        diag_free(&d);
    }
}

/* Deterministic mutations of valid files: truncations, byte substitutions
 * and deletions. None may crash (ASan builds check reads), and each either
 * parses or reports exactly one error with a position. */
static void mutate_all(const char *fixture) {
    size_t len;
    char path[600];
    snprintf(path, sizeof path, "%s/%s", TEXT_DIR, fixture);
    char *src = read_file(path, &len);
    cr_assert_not_null(src);
    char *buf = malloc(len + 1);
    static const char subst[] = {'"', '\n', '[', ']', '(', ')', ',', ':', '=', '-', '9', '.', 'e', '\\', 'x', 0,
                                 '#', '@', (char)0xff};
    uint64_t st = 12345;
    for (size_t round = 0; round < 1500; round++) {
        size_t n = len;
        memcpy(buf, src, len);
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        size_t pos = (size_t)(st >> 33) % (len ? len : 1);
        switch (round % 3) {
        case 0: n = pos; break;                                              /* truncate */
        case 1: buf[pos] = subst[(st >> 20) % sizeof subst]; break;          /* substitute */
        default: memmove(buf + pos, buf + pos + 1, len - pos - 1); n--; break; /* delete */
        }
        Diag d;
        diag_init(&d, "m.kg");
        Graph *g = text_parse(buf, n, path, NULL, &d);
        if (g) {
            cr_assert_eq(d.nerrors, 0);
            ir_graph_free(g);
        } else {
            cr_assert(d.nerrors >= 1 && d.text && !strncmp(d.text, "m.kg", 4), "round %zu: %s", round,
                      d.text ? d.text : "(no message)");
        }
        diag_free(&d);
    }
    free(buf);
    free(src);
}

Test(text, mutated_inputs_never_crash) {
    mutate_all("syntax.kg");
    mutate_all("tiny.kg");
    mutate_all("blob.kg");
}
