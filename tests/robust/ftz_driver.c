/*
 * ftz_driver.c - runs one kiln-generated model (float32 inputs and outputs)
 * under a chosen MXCSR and checks that NAME_run leaves the caller's MXCSR
 * control bits as they were (tests/robust/robust.py, the --ftz checks).
 *
 *   cc -DKILN_MODEL=m -DKILN_MODEL_H='"m.h"' ftz_driver.c m.c m_weights.S -lm [-lpthread]
 *   ./ftz_driver IN.bin OUT.bin [caller-ftz]
 *
 * IN.bin holds every input's float32 elements in order; OUT.bin receives
 * every output's. With "caller-ftz" the caller itself sets FTZ and DAZ
 * before the run (a model compiled without --ftz must then flush on every
 * worker thread too: the pool's workers take the caller's MXCSR). A model
 * compiled with threads (built with -DKILN_THREADS=1) runs on a pool of 2.
 * x86 (SSE2) only; elsewhere it says so and exits 77.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include KILN_MODEL_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M(x) CAT(KILN_MODEL, x)

#if defined(__SSE2__)
#include <pmmintrin.h>
#include <xmmintrin.h>

#define NIN M(_NUM_INPUTS)
#define NOUT M(_NUM_OUTPUTS)

static void *exact(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1)) {
        fprintf(stderr, "ftz_driver: out of memory\n");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN.bin OUT.bin [caller-ftz]\n", argv[0]);
        return 2;
    }
    const int caller_ftz = argc > 3 && !strcmp(argv[3], "caller-ftz");
    M(_ctx) ctx;
    unsigned char *arena = exact(M(_ARENA_SIZE));
    if (M(_init)(&ctx, arena, M(_ARENA_SIZE), M(_weights_blob))) return fprintf(stderr, "init failed\n"), 2;
    const void *in[NIN > 0 ? NIN : 1];
    void *out[NOUT];
    FILE *f = fopen(argv[1], "rb");
    if (!f) return fprintf(stderr, "cannot read %s\n", argv[1]), 2;
    for (int i = 0; i < NIN; i++) {
        const size_t n = M(_input_info)[i].size;
        float *p = exact(n * sizeof(float));
        if (fread(p, sizeof(float), n, f) != n) return fprintf(stderr, "%s: short\n", argv[1]), 2;
        in[i] = p;
    }
    fclose(f);
    for (int i = 0; i < NOUT; i++) out[i] = exact(M(_output_info)[i].size * sizeof(float));
#if KILN_THREADS /* -DKILN_THREADS=1: the model was compiled with a thread pool */
    if (M(_init_threads)(&ctx, 2)) return fprintf(stderr, "init_threads failed\n"), 2;
#endif
    /* the default control bits, or FTZ|DAZ set by the caller itself */
    const unsigned int before = 0x1f80u | (caller_ftz ? (unsigned)(_MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON) : 0u);
    _mm_setcsr(before);
    const int rc = M(_run)(&ctx, in, out);
    const unsigned int after = _mm_getcsr();
    if (rc) return fprintf(stderr, "run: %s\n", M(_strerror)(rc)), 1;
    if ((after & ~0x3Fu) != (before & ~0x3Fu)) {
        fprintf(stderr, "MXCSR control bits changed by the run: 0x%04x before, 0x%04x after\n", before, after);
        return 1;
    }
    f = fopen(argv[2], "wb");
    if (!f) return fprintf(stderr, "cannot write %s\n", argv[2]), 2;
    for (int i = 0; i < NOUT; i++) fwrite(out[i], sizeof(float), M(_output_info)[i].size, f);
    fclose(f);
#if KILN_THREADS
    M(_free_threads)(&ctx);
#endif
    printf("ok: MXCSR 0x%04x before and after (flags aside)\n", before);
    return 0;
}
#else
int main(void) {
    printf("no MXCSR on this target: --ftz is a no-op here\n");
    return 77;
}
#endif
