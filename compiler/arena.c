/*
 * arena.c - the compiler's bump allocator. One Arena per compilation holds
 * every Graph object; nothing is freed one by one, so passes can drop nodes
 * and values without bookkeeping.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 65536

void *arena_alloc(Arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    ArenaBlock *b = a->head;
    if (!b || b->size - b->used < n) {
        /* Big requests (weights) get a block of their own. */
        size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        if (size > SIZE_MAX - sizeof(ArenaBlock)) return NULL;
        ArenaBlock *nb = malloc(sizeof(ArenaBlock) + size);
        if (!nb) return NULL;
        nb->used = 0;
        nb->size = size;
        if (b && size != ARENA_BLOCK && b->size - b->used >= 256) {
            /* keep the partly used block on top for small requests */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
