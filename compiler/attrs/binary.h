/* attrs/binary.h - typed attributes of the broadcasting binary/variadic family (ops_binary.c). */
#ifndef KILN_ATTRS_BINARY_H
#define KILN_ATTRS_BINARY_H
typedef struct BinaryAttrs {
    int fmod;           /* reserved (Mod, later issue) */
} BinaryAttrs;
#endif
