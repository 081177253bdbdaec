/*
 * krt.h - kiln's tiny runtime: status codes, tensor file I/O (.npy and ONNX
 * TensorProto .pb) and timing, for the standalone executables kiln generates
 * and for the compiler itself (--freeze, `kiln run`).
 *
 * Generated model code (NAME.c) never depends on this: it is only for the
 * programs around it. Functions here may allocate (reading a file); nothing
 * here is on a model's run path.
 */
#ifndef KRT_H
#define KRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KRT_MAX_RANK 8

enum {
    KRT_OK = 0,
    KRT_ERR_IO = 1,        /* cannot open / read / write the file */
    KRT_ERR_FORMAT = 2,    /* malformed file */
    KRT_ERR_DTYPE = 3,     /* element type kiln does not handle */
    KRT_ERR_NOMEM = 4,
    KRT_ERR_SHAPE = 5,     /* shape mismatch against what the model expects */
};

/* A host tensor. dtype uses ONNX TensorProto.DataType codes (1 = float32,
 * 7 = int64, 9 = bool, 11 = float64, ...). data is malloc'd (krt_tensor_free). */
typedef struct KrtTensor {
    int dtype;
    int rank;
    int64_t dims[KRT_MAX_RANK];
    void *data;
    size_t bytes;          /* numel * element size */
    char name[256];        /* TensorProto name, "" for .npy */
} KrtTensor;

size_t krt_dtype_size(int dtype);          /* 0 if unsupported */
const char *krt_dtype_name(int dtype);     /* "float32", "int64", ... */
int64_t krt_numel(const KrtTensor *t);

/* Read a tensor from .npy or ONNX TensorProto (.pb), chosen by content (the
 * .npy magic), not by name. On error returns a KRT_ERR_* code and writes a
 * message naming the file into err. */
int krt_tensor_read(const char *path, KrtTensor *t, char *err, size_t errlen);
int krt_npy_read(const char *path, KrtTensor *t, char *err, size_t errlen);
int krt_pb_read(const char *path, KrtTensor *t, char *err, size_t errlen);
/* Parse a TensorProto already in memory (raw_data or typed fields). */
int krt_pb_parse(const void *buf, size_t len, KrtTensor *t, char *err, size_t errlen);
int krt_npy_write(const char *path, const KrtTensor *t, char *err, size_t errlen);
void krt_tensor_free(KrtTensor *t);

/* Whole file into memory (malloc'd, with a trailing NUL). */
int krt_read_file(const char *path, void **data, size_t *len, char *err, size_t errlen);

/* Replace every character other than letters, digits, '_', '-', '.' by '_'
 * (output file names derived from tensor names). out has room for n bytes. */
void krt_sanitize_name(const char *name, char *out, size_t n);

/* Monotonic clock in seconds. */
double krt_now(void);

#ifdef __cplusplus
}
#endif
#endif
