/*
 * test_cli.c - every error path of the `kiln` command line: usage errors,
 * missing and malformed files, unsupported ops (all listed at once, each
 * naming its node), unbound symbolic dims, bad bindings. Each must exit 1
 * with a clear message and leave no output folder behind.
 * Models are built here with the protobuf-c structs of onnx_subset.proto.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onnx_subset.pb-c.h"

#define KILN KILN_BINARY_DIR "/kiln"

typedef struct Result {
    int status;
    char out[16384];
} Result;

/* Run a shell command line, capturing stdout+stderr and the exit status. */
static Result run(const char *fmt, ...) {
    Result r = {0};
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(r.out, 1, sizeof r.out - 1, p);
    r.out[n] = 0;
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return r;
}

static char tmpdir[256];

static void setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kiln-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

/* A one-input model: x:f32[dims] -> op_types[0] -> ... -> y. dims<0 means symbolic. */
static void write_model(const char *path, int nops, const char *const *op_types, const int64_t *dims, int rank,
                        int opset) {
    KilnOnnx__Model m = KILN_ONNX__MODEL__INIT;
    KilnOnnx__Graph g = KILN_ONNX__GRAPH__INIT;
    KilnOnnx__OpsetId os = KILN_ONNX__OPSET_ID__INIT, *osp = &os;
    os.domain = "";
    os.has_version = 1;
    os.version = opset;
    m.n_opset_import = 1;
    m.opset_import = &osp;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.graph = &g;
    KilnOnnx__Node nodes[8], *np[8];
    char *ins[8], *outs[8], names[8][32], vals[9][32];
    for (int i = 0; i <= nops; i++) snprintf(vals[i], 32, i == 0 ? "x" : i == nops ? "y" : "t%d", i);
    for (int i = 0; i < nops; i++) {
        kiln_onnx__node__init(&nodes[i]);
        snprintf(names[i], 32, "node%d", i);
        nodes[i].name = names[i];
        nodes[i].op_type = (char *)op_types[i];
        ins[i] = vals[i];
        outs[i] = vals[i + 1];
        nodes[i].n_input = 1;
        nodes[i].input = &ins[i];
        nodes[i].n_output = 1;
        nodes[i].output = &outs[i];
        np[i] = &nodes[i];
    }
    g.n_node = (size_t)nops;
    g.node = np;
    KilnOnnx__Dimension dm[8], *dmp[8];
    for (int i = 0; i < rank; i++) {
        kiln_onnx__dimension__init(&dm[i]);
        if (dims[i] >= 0) {
            dm[i].has_dim_value = 1;
            dm[i].dim_value = dims[i];
        } else {
            dm[i].dim_param = "batch";
        }
        dmp[i] = &dm[i];
    }
    KilnOnnx__Shape sh = KILN_ONNX__SHAPE__INIT;
    sh.n_dim = (size_t)rank;
    sh.dim = dmp;
    KilnOnnx__TensorType tt = KILN_ONNX__TENSOR_TYPE__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = 1;
    tt.shape = &sh;
    KilnOnnx__Type ty = KILN_ONNX__TYPE__INIT;
    ty.tensor_type = &tt;
    KilnOnnx__ValueInfo xi = KILN_ONNX__VALUE_INFO__INIT, yi = KILN_ONNX__VALUE_INFO__INIT;
    KilnOnnx__ValueInfo *xp = &xi, *yp = &yi;
    xi.name = "x";
    xi.type = &ty;
    yi.name = "y";
    g.n_input = 1;
    g.input = &xp;
    g.n_output = 1;
    g.output = &yp;
    size_t len = kiln_onnx__model__get_packed_size(&m);
    unsigned char *buf = malloc(len);
    kiln_onnx__model__pack(&m, buf);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

TestSuite(cli, .init = setup, .fini = teardown);

Test(cli, no_arguments_prints_usage) {
    Result r = run("%s", KILN);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "usage: kiln COMMAND"), "%s", r.out);
}

Test(cli, help_for_each_command) {
    const char *cmds[] = {"compile", "inspect", "run"};
    for (int i = 0; i < 3; i++) {
        Result r = run("%s %s --help", KILN, cmds[i]);
        cr_assert_eq(r.status, 0, "%s", r.out);
        cr_assert(strstr(r.out, "usage: kiln"), "%s", r.out);
        cr_assert(strstr(r.out, "--shape"), "%s", r.out);
    }
    cr_assert_eq(run("%s --help", KILN).status, 0);
}

Test(cli, unknown_command_and_option) {
    Result r = run("%s frobnicate", KILN);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "unknown command frobnicate"), "%s", r.out);
    r = run("%s compile m.onnx -o %s --bogus", KILN, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "--bogus"), "%s", r.out);
}

Test(cli, compile_needs_output_folder) {
    Result r = run("%s compile m.onnx", KILN);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "-o DIR"), "%s", r.out);
}

Test(cli, missing_model_file) {
    Result r = run("%s compile %s/nope.onnx -o %s/out", KILN, tmpdir, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "nope.onnx"), "%s", r.out);
    char out[300];
    snprintf(out, sizeof out, "%s/out", tmpdir);
    cr_assert(!exists(out), "no output folder on failure");
}

Test(cli, garbage_model_file) {
    char path[300];
    snprintf(path, sizeof path, "%s/junk.onnx", tmpdir);
    FILE *f = fopen(path, "wb");
    fputs("\xff\xff\xff\xff this is not protobuf", f);
    fclose(f);
    Result r = run("%s compile %s -o %s/out", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "junk.onnx: not a valid ONNX model"), "%s", r.out);
}

Test(cli, unsupported_ops_all_listed_with_nodes) {
    char path[300];
    snprintf(path, sizeof path, "%s/u.onnx", tmpdir);
    const char *ops[] = {"Relu", "FancyOp", "Tanh", "OtherOp"};
    int64_t dims[2] = {1, 4};
    write_model(path, 4, ops, dims, 2, 13);
    Result r = run("%s compile %s -o %s/out", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "node 'node1' (FancyOp): unsupported op 'FancyOp'"), "%s", r.out);
    cr_assert(strstr(r.out, "node 'node3' (OtherOp): unsupported op 'OtherOp'"), "%s", r.out);
}

Test(cli, symbolic_dim_needs_binding) {
    char path[300];
    snprintf(path, sizeof path, "%s/s.onnx", tmpdir);
    const char *ops[] = {"Relu"};
    int64_t dims[2] = {-1, 4};
    write_model(path, 1, ops, dims, 2, 13);
    Result r = run("%s compile %s -o %s/out", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "graph input 'x' has unknown dimension 0 ('batch')"), "%s", r.out);
    cr_assert(strstr(r.out, "--shape x=DIMS"), "%s", r.out);
    r = run("%s compile %s -o %s/out --shape x=2x4", KILN, path, tmpdir);
    cr_assert_eq(r.status, 0, "%s", r.out);
    char hdr[300];
    snprintf(hdr, sizeof hdr, "%s/out/s.h", tmpdir);
    cr_assert(exists(hdr));
    r = run("%s compile %s -o %s/out --shape x=2xq", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "bad dimensions"), "%s", r.out);
    r = run("%s compile %s -o %s/out --shape nosuch=2", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "'nosuch' is not a graph input"), "%s", r.out);
}

Test(cli, future_opset_rejected) {
    char path[300];
    snprintf(path, sizeof path, "%s/f.onnx", tmpdir);
    const char *ops[] = {"Relu"};
    int64_t dims[1] = {4};
    write_model(path, 1, ops, dims, 1, 99);
    Result r = run("%s compile %s -o %s/out", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "unsupported opset 99"), "%s", r.out);
}

Test(cli, bad_name_rejected) {
    char path[300];
    snprintf(path, sizeof path, "%s/n.onnx", tmpdir);
    const char *ops[] = {"Relu"};
    int64_t dims[1] = {4};
    write_model(path, 1, ops, dims, 1, 13);
    Result r = run("%s compile %s -o %s/out --name 9lives", KILN, path, tmpdir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "not a C identifier"), "%s", r.out);
}

Test(cli, ops_lists_the_table) {
    Result r = run("%s ops", KILN);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Conv\n"));
    cr_assert(strstr(r.out, "BatchNormalization\n"));
}
