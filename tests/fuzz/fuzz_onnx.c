/*
 * fuzz_onnx.c - libFuzzer target: bytes as an ONNX model file through the
 * same path as `kiln compile` (onnx_load_bytes, then fuzz_compile).
 *
 * The model "lives" in a private temporary folder holding w.bin (1 MiB), so
 * inputs with external data exercise the path checks and the reads; the
 * folder is made once per process and removed at exit.
 */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_common.h"

static char model_path[256];
static char data_path[256];
static char dir_path[256];

static void cleanup(void) {
    unlink(data_path);
    rmdir(dir_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_path, sizeof dir_path, "%s/kiln-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_path)) {
        perror("fuzz_onnx: mkdtemp");
        exit(1);
    }
    snprintf(model_path, sizeof model_path, "%s/fuzz.onnx", dir_path);
    snprintf(data_path, sizeof data_path, "%s/w.bin", dir_path);
    FILE *f = fopen(data_path, "wb");
    if (!f) {
        perror("fuzz_onnx: w.bin");
        exit(1);
    }
    for (int i = 0; i < (1 << 20); i++) fputc((i * 37) & 0xff, f);
    fclose(f);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    KilnOptions o;
    kiln_options_init(&o);
    o.name = "fuzz";
    Diag d;
    diag_init(&d, model_path);
    Graph *g = onnx_load_bytes(data, size, model_path, &o, &d);
    fuzz_compile(g, &d, model_path);
    diag_free(&d);
    return 0;
}
