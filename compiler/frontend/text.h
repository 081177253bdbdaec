/*
 * text.h - kiln's own text graph format (.kg): the parser (frontend/text.c)
 * and the writer's extras (ir/dump.c). The format is documented in
 * docs/text-format.md; ir_dump (ir.h) prints it, so any graph can be dumped,
 * edited and read back, and dump -> parse -> dump is byte-identical.
 *
 * Pipeline position: a frontend like onnx.c. text_load builds a Graph with
 * raw attributes only; the driver runs ir_infer afterwards as for ONNX.
 */
#ifndef KILN_TEXT_H
#define KILN_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "ir.h"

#define KG_VERSION 1             /* the only format version this kiln reads and writes */
#define KG_INLINE_MAX 16         /* constants up to this many elements are dumped inline */
#define KG_WEIGHTS_ALIGN 64      /* sidecar offsets assigned by ir_dump_weights */
#define KG_SEEDED_MAX ((int64_t)1 << 24)  /* most elements a seeded(...) constant may have */
#define KG_FILE_MAX ((size_t)1 << 30)     /* largest .kg file read */

/* Read a .kg file. name (may be NULL) overrides the header's graph name.
 * Every error is reported once as "FILE:LINE:COL: message" (FILE is d->file
 * when set, else path); returns NULL on error. If any node output carries a
 * type annotation, the annotations are checked against shape inference run on
 * a scratch copy of the graph (the returned graph itself is not inferred). */
Graph *text_load(const char *path, const char *name, Diag *d);
/* The same from a buffer (no NUL needed); path names the file in messages and
 * anchors the folder a `weights` sidecar is read from. */
Graph *text_parse(const char *src, size_t len, const char *path, const char *name, Diag *d);

/* ir_dump with the sidecar's name for the header's `weights` line (relative
 * to the .kg file). weights_name NULL means "<graph name>.bin". Constants
 * printed as blob() that have no offset yet get one past the highest
 * assigned offset. Returns 0, or -1 if something could not be printed
 * faithfully (a subgraph attribute, a string constant) or a write failed. */
int text_dump(Graph *g, FILE *f, const char *weights_name);
/* Assign sidecar offsets (KG_WEIGHTS_ALIGN-aligned, in value order) to every
 * constant the dump prints as blob(), overwriting earlier offsets, and write
 * the sidecar to f. Call it before ir_dump/text_dump so both agree. The
 * memory planner assigns its own offsets later. 0 on success, -1 if a write
 * failed or a blob constant has no data. */
int ir_dump_weights(Graph *g, FILE *f);
/* Write kg_path and, when some constant needs it, the sidecar next to it,
 * named kg_path + ".bin": what `--dump-kg FILE` does. */
int text_dump_pair(Graph *g, const char *kg_path, Diag *d);

/* True if the constant is printed as blob(OFFSET, BYTES) by the dump. */
bool text_is_blob(const Value *v);
/* True if s prints without quotes: [A-Za-z_][A-Za-z0-9_.]* */
bool text_is_plain_name(const char *s);
/* IEEE half and bfloat16 <-> float (round to nearest even). */
float text_f16_to_f32(uint16_t h);
uint16_t text_f32_to_f16(float f);
float text_bf16_to_f32(uint16_t h);
uint16_t text_f32_to_bf16(float f);

#endif
