/*
 * cgen.h - the C backend: turns a planned Graph into the files of a
 * generated model (NAME.h, NAME.c, NAME.weights, NAME_weights.S) and, with
 * --exe, the standalone program around it. Files are built in memory; the
 * driver writes them only when everything succeeded.
 */
#ifndef KILN_CGEN_H
#define KILN_CGEN_H

#include "kiln.h"

#define CG_MAX_FILES 32

typedef struct OutFile {
    char *name;      /* file name inside the output folder (malloc'd) */
    char *data;      /* contents (malloc'd) */
    size_t len;
} OutFile;

typedef struct OutFiles {
    int n;
    OutFile f[CG_MAX_FILES];
} OutFiles;

int outfiles_add(OutFiles *o, const char *name, char *data, size_t len); /* takes data */
void outfiles_free(OutFiles *o);

/* NAME.h, NAME.c, NAME.weights, NAME_weights.S */
int cg_emit_model(Graph *g, OutFiles *out, Diag *d);
/* main.c, Makefile, CMakeLists.txt, runtime sources */
int cg_emit_exe(Graph *g, OutFiles *out, Diag *d);

#endif
