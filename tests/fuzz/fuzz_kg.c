/*
 * fuzz_kg.c - libFuzzer target: bytes as a .kg text graph through the same
 * path as `kiln compile net.kg` (text_parse, then fuzz_compile).
 *
 * The file is placed in tests/text (KILN_TEXT_DIR, read only), so inputs
 * with a `weights "blob.bin"` line read that fixture's real sidecar.
 */
#include <stdint.h>

#include "frontend/text.h"
#include "fuzz_common.h"

#define KG_PATH KILN_TEXT_DIR "/fuzz.kg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Diag d;
    diag_init(&d, KG_PATH);
    Graph *g = text_parse((const char *)data, size, KG_PATH, "fuzz", &d);
    fuzz_compile(g, &d, KG_PATH);
    diag_free(&d);
    return 0;
}
