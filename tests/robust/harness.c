/*
 * harness.c - drives one kiln-generated model through its public API the
 * way a careless or hostile caller might, then the way a careful one does.
 *
 *   cc -DKILN_MODEL=lenet5 -DKILN_MODEL_H='"lenet5.h"' harness.c lenet5.c lenet5_weights.S -lm
 *   ./harness OUTFILE
 *
 * Generic over models: every model-specific name is built from KILN_MODEL
 * (lenet5 -> lenet5_init, lenet5_ARENA_SIZE, ...) and the shapes come from
 * NAME_input_info / NAME_output_info.
 *
 * Checks, each printed on failure:
 *   - NAME_init: NULL context, NULL arena, an arena one byte too small, a
 *     misaligned arena, NULL and misaligned weights give the documented
 *     status codes (emit_c.c), and NAME_strerror names every code;
 *   - NAME_run: NULL context, an uninitialised (zeroed) context, NULL
 *     input/output arrays and a NULL entry in either give NAME_ERR_NULL;
 *   - a real run with every buffer allocated at its exact size (arena,
 *     inputs, outputs, and a heap copy of the weights blob, so AddressSanitizer
 *     sees any access one byte past them), inputs from a fixed generator;
 *   - the same outputs, bit for bit, when the arena starts as 0x00 or as
 *     0xff bytes (NaN patterns) and the outputs start as 0x00 or 0xff (a
 *     kernel reading uninitialised arena memory, or an output byte never
 *     written, shows up as a difference), and on a second run without
 *     re-initialising (reentrancy);
 *   - inputs unchanged by a run (no --inplace-io).
 * Then OUTFILE receives every output's bytes in order (counts included), for
 * run_robust's comparison between builds. Exit status 0 iff all passed.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include KILN_MODEL_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M(x) CAT(KILN_MODEL, x)
#define STR_(x) #x
#define STR(x) STR_(x)
#define MODEL STR(KILN_MODEL)

#define NIN M(_NUM_INPUTS)
#define NOUT (M(_NUM_OUTPUTS) + M(_NUM_COUNTS))
#define ARENA M(_ARENA_SIZE)
#define WEIGHTS M(_WEIGHTS_SIZE)
#define ALIGN M(_ALIGN)
#define MAXIO 64

static int failures;

#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "harness: %s:%d: check failed: %s: ", MODEL, __LINE__, #cond);                   \
            fprintf(stderr, __VA_ARGS__);                                                                    \
            fputc('\n', stderr);                                                                             \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

static size_t dtype_bytes(int dt) {
    switch (dt) {
    case 1: case 6: case 12: return 4;          /* f32, i32, u32 */
    case 7: case 11: case 13: return 8;         /* i64, f64, u64 */
    case 4: case 5: case 10: case 16: return 2; /* u16, i16, f16, bf16 */
    default: return 1;                          /* u8, i8, bool */
    }
}

/* An exact-size heap block, 64-byte aligned (posix_memalign keeps the
 * requested size, so ASan's redzone starts right after it). */
static unsigned char *exact(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1)) {
        fprintf(stderr, "harness: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

/* xorshift64*: the same inputs in every build */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static void fill_input(unsigned char *p, int dt, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double u = (double)(next() >> 11) * 0x1.0p-53 * 4.0 - 2.0; /* [-2, 2) */
        switch (dt) {
        case 1: { float f = (float)u; memcpy(p + 4 * i, &f, 4); break; }
        case 11: memcpy(p + 8 * i, &u, 8); break;
        case 9: p[i] = (unsigned char)(next() & 1); break;
        case 7: { int64_t v = (int64_t)(next() % 5); memcpy(p + 8 * i, &v, 8); break; }
        case 6: { int32_t v = (int32_t)(next() % 5); memcpy(p + 4 * i, &v, 4); break; }
        default: memset(p + dtype_bytes(dt) * i, (int)(next() % 5), dtype_bytes(dt)); break;
        }
    }
}

static size_t out_bytes(int k) {
    if (k >= M(_NUM_OUTPUTS)) return 8; /* a count slot: int64 scalar */
    return M(_output_info)[k].size * dtype_bytes(M(_output_info)[k].dtype);
}

static int run_once(const M(_ctx) *ctx, unsigned char *arena, int arena_byte, const void *const *ins,
                    unsigned char **outs, int out_byte) {
    if (ARENA) memset(arena, arena_byte, ARENA);
    for (int k = 0; k < NOUT; k++) memset(outs[k], out_byte, out_bytes(k));
    return M(_run)(ctx, ins, (void *const *)outs);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTFILE\n", argv[0]);
        return 2;
    }
    if (NIN > MAXIO || NOUT > MAXIO) {
        fprintf(stderr, "harness: too many inputs/outputs\n");
        return 2;
    }
    M(_ctx) ctx;
    unsigned char *arena_big = exact(ARENA + 2 * ALIGN); /* for the misaligned case */
    unsigned char *arena = exact(ARENA);
    unsigned char *weights = exact(WEIGHTS);
    if (WEIGHTS) memcpy(weights, M(_weights_blob), WEIGHTS);
    unsigned char *wbig = exact(WEIGHTS + 2 * ALIGN);

    /* ---- init argument checks */
    CHECK(M(_init)(NULL, arena, ARENA, weights) == M(_ERR_NULL), "NULL ctx");
    if (ARENA > 0) {
        CHECK(M(_init)(&ctx, NULL, ARENA, weights) == M(_ERR_NULL), "NULL arena");
        CHECK(M(_init)(&ctx, arena, ARENA - 1, weights) == M(_ERR_ARENA_SIZE), "arena one byte short");
        CHECK(M(_init)(&ctx, arena, 0, weights) == M(_ERR_ARENA_SIZE), "arena size 0");
    }
    CHECK(M(_init)(&ctx, arena_big + 1, ARENA + ALIGN, weights) == M(_ERR_ALIGN), "arena misaligned by 1");
    CHECK(M(_init)(&ctx, arena_big + ALIGN / 2, ARENA + ALIGN, weights) == M(_ERR_ALIGN), "arena misaligned by 32");
    if (WEIGHTS > 0) CHECK(M(_init)(&ctx, arena, ARENA, NULL) == M(_ERR_WEIGHTS), "NULL weights");
    CHECK(M(_init)(&ctx, arena, ARENA, wbig + 8) == M(_ERR_ALIGN), "weights misaligned by 8");
    for (int s = 0; s <= 4; s++) {
        const char *msg = M(_strerror)(s);
        CHECK(msg && *msg && strcmp(msg, "unknown status"), "strerror(%d)", s);
    }
    CHECK(!strcmp(M(_strerror)(12345), "unknown status"), "strerror(12345)");
    CHECK(!strcmp(M(_strerror)(-1), "unknown status"), "strerror(-1)");

    /* ---- buffers at their exact sizes */
    unsigned char *ins[MAXIO + 1] = {0}, *ins_copy[MAXIO + 1] = {0}, *outs[MAXIO + 1] = {0};
    unsigned char *ref[MAXIO + 1] = {0};
    for (int k = 0; k < NIN; k++) {
        size_t n = M(_input_info)[k].size, b = n * dtype_bytes(M(_input_info)[k].dtype);
        ins[k] = exact(b);
        fill_input(ins[k], M(_input_info)[k].dtype, n);
        ins_copy[k] = exact(b);
        memcpy(ins_copy[k], ins[k], b);
    }
    for (int k = 0; k < NOUT; k++) {
        outs[k] = exact(out_bytes(k));
        ref[k] = exact(out_bytes(k));
    }

    /* ---- run argument checks (nothing may be touched) */
    CHECK(M(_init)(&ctx, arena, ARENA, weights) == M(_OK), "valid init");
    CHECK(M(_run)(NULL, (const void *const *)ins, (void *const *)outs) == M(_ERR_NULL), "run: NULL ctx");
    if (NIN > 0) {
        CHECK(M(_run)(&ctx, NULL, (void *const *)outs) == M(_ERR_NULL), "run: NULL inputs");
        unsigned char *save = ins[NIN > 0 ? NIN - 1 : 0];
        ins[NIN > 0 ? NIN - 1 : 0] = NULL;
        CHECK(M(_run)(&ctx, (const void *const *)ins, (void *const *)outs) == M(_ERR_NULL), "run: NULL last input");
        ins[NIN > 0 ? NIN - 1 : 0] = save;
    }
    CHECK(M(_run)(&ctx, (const void *const *)ins, NULL) == M(_ERR_NULL), "run: NULL outputs");
    {
        unsigned char *save = outs[NOUT - 1];
        outs[NOUT - 1] = NULL;
        CHECK(M(_run)(&ctx, (const void *const *)ins, (void *const *)outs) == M(_ERR_NULL), "run: NULL last output");
        outs[NOUT - 1] = save;
    }
    if (ARENA > 0 || WEIGHTS > 0) {
        M(_ctx) zero;
        memset(&zero, 0, sizeof zero);
        CHECK(M(_run)(&zero, (const void *const *)ins, (void *const *)outs) == M(_ERR_NULL), "run: zeroed ctx");
    }

    /* ---- real runs: poisoned arena / outputs, reentrancy */
    const void *const *cins = (const void *const *)ins;
    CHECK(run_once(&ctx, arena, 0x00, cins, outs, 0x00) == M(_OK), "run 1");
    for (int k = 0; k < NOUT; k++) memcpy(ref[k], outs[k], out_bytes(k));
    CHECK(run_once(&ctx, arena, 0xff, cins, outs, 0xff) == M(_OK), "run 2 (poisoned)");
    for (int k = 0; k < NOUT; k++)
        CHECK(!memcmp(ref[k], outs[k], out_bytes(k)),
              "output %d differs when the arena and outputs start as 0xff (reads uninitialised memory, or "
              "leaves output bytes unwritten)", k);
    CHECK(M(_run)(&ctx, cins, (void *const *)outs) == M(_OK), "run 3 (same ctx again)");
    for (int k = 0; k < NOUT; k++) CHECK(!memcmp(ref[k], outs[k], out_bytes(k)), "output %d differs on a second run", k);
    for (int k = 0; k < NIN; k++)
        CHECK(!memcmp(ins[k], ins_copy[k], M(_input_info)[k].size * dtype_bytes(M(_input_info)[k].dtype)),
              "input %d was modified by run", k);

    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    for (int k = 0; k < NOUT; k++) fwrite(ref[k], 1, out_bytes(k), f);
    fclose(f);

    for (int k = 0; k < NIN; k++) free(ins[k]), free(ins_copy[k]);
    for (int k = 0; k < NOUT; k++) free(outs[k]), free(ref[k]);
    free(arena);
    free(arena_big);
    free(weights);
    free(wbig);
    if (failures) fprintf(stderr, "harness: %s: %d checks failed\n", MODEL, failures);
    return failures ? 1 : 0;
}
