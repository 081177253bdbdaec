/*
 * text.c - the frontend for kiln's own text graph format (.kg), the same text
 * ir_dump prints (docs/text-format.md has the grammar and an example).
 *
 * Pipeline position: like onnx.c it builds a Graph with raw attributes;
 * kiln_load then runs ir_infer. A hand-written file can build a whole test
 * network in a few lines: constants can be inline lists, slices of a sidecar
 * weights file (blob), or seeded(...) initializers generated here by a small
 * PRNG whose output is the same on every machine.
 *
 * Robustness: the input is untrusted (and fuzzed). The lexer never reads past
 * the buffer, every length and count is bounded before memory is allocated
 * for it, and the first problem is reported as "FILE:LINE:COL: message" and
 * ends the parse.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/text.h"
#include "ir.h"
#include "kiln.h"

#define MAX_TENSOR_BYTES ((int64_t)1 << 40)  /* same bound as set_output and the ONNX frontend */
#define MAX_LIST 16777216                    /* elements of one attribute list */
#define MAX_NUM_TEXT 64                      /* characters of one number */

/* ----------------------------------------------------------------- state */

typedef enum TokKind { TK_EOF, TK_NL, TK_IDENT, TK_NUM, TK_STR, TK_PUNCT } TokKind;

typedef struct Tok {
    TokKind kind;
    size_t pos, len;   /* source span */
    int line, col;     /* 1-based; col counts bytes */
    char punct;        /* TK_PUNCT: one of ()[],:=@ or '>' for "->" */
    bool is_float;     /* TK_NUM: has '.', an exponent, or is [+-]inf/nan */
} Tok;

typedef struct ValInfo {
    int def_line, def_col;   /* where defined (0: only referenced so far) */
    int use_line, use_col;   /* first reference */
} ValInfo;

typedef struct Annot {       /* "-> (y: f32[1,8])": checked after parsing */
    Value *v;
    const Node *n;
    int line, col;
    DType t;
    int rank;
    int64_t dims[KILN_MAX_RANK];
} Annot;

typedef struct Parser {
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start;
    const char *path, *label;   /* file to resolve `weights` against; name in messages */
    Tok tok;
    char *str;                  /* decoded contents of the current TK_STR */
    size_t str_len, str_cap;
    Graph *g;
    Diag *d;
    const char *name_override;
    bool have_version, have_graph, have_opset, have_weights;
    FILE *wf;                   /* the sidecar, opened by the `weights` line */
    int64_t wsize;
    const char *wname;
    ValInfo *vi;                /* by value id */
    int vi_cap;
    const char **node_names;    /* open-addressing set of node names */
    size_t nn_cap, nn_count;
    Annot *ann;
    int nann, ann_cap;
    int in_cap, out_cap;
} Parser;

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 4, 5)))
static int perr_at(Parser *p, int line, int col, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!p->d) return -1;
    /* the position replaces the usual "FILE: " lead */
    const char *file = p->d->file;
    p->d->file = NULL;
    diag_error(p->d, NULL, "%s:%d:%d: %s", p->label, line, col, msg);
    p->d->file = file;
    return -1;
}
#define perr(p, ...) perr_at((p), (p)->tok.line, (p)->tok.col, __VA_ARGS__)

/* A short quoted rendering of the current token for messages. */
static const char *tok_desc(const Parser *p, char *buf, size_t n) {
    const Tok *t = &p->tok;
    switch (t->kind) {
    case TK_EOF: return "end of file";
    case TK_NL: return "end of line";
    case TK_STR: snprintf(buf, n, "string \"%.40s\"", p->str); return buf;
    default: snprintf(buf, n, "'%.*s'", (int)(t->len < 40 ? t->len : 40), p->src + t->pos); return buf;
    }
}

static void fmt_type(char *buf, size_t n, DType t, int rank, const int64_t *dims) {
    size_t k = (size_t)snprintf(buf, n, "%s[", dtype_name(t));
    for (int i = 0; i < rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* ----------------------------------------------------------------- lexer */

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(int c) { return is_alpha(c) || is_digit(c) || c == '.'; }
static int hexval(int c) {
    return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

static int at(const Parser *p, size_t i) { return i < p->len ? (unsigned char)p->src[i] : -1; }

static int str_push(Parser *p, char c) {
    if (p->str_len + 2 > p->str_cap) {
        size_t cap = p->str_cap ? p->str_cap * 2 : 64;
        char *s = realloc(p->str, cap);
        if (!s) return perr(p, "out of memory");
        p->str = s;
        p->str_cap = cap;
    }
    p->str[p->str_len++] = c;
    p->str[p->str_len] = 0;
    return 0;
}

static int lex_string(Parser *p) {
    Tok *t = &p->tok;
    size_t i = p->pos + 1;
    p->str_len = 0;
    if (str_push(p, 0)) return -1; /* p->str exists and is "" even for an empty string */
    p->str_len = 0;
    for (;;) {
        int c = at(p, i);
        int col = (int)(i - p->line_start) + 1;
        if (c < 0 || c == '\n') return perr(p, "unterminated string");
        if (c == '"') {
            i++;
            break;
        }
        if (c == '\\') {
            int e = at(p, i + 1), v;
            switch (e) {
            case 'n': v = '\n'; break;
            case 't': v = '\t'; break;
            case 'r': v = '\r'; break;
            case '\\': v = '\\'; break;
            case '"': v = '"'; break;
            case 'x': {
                int h = hexval(at(p, i + 2)), l = hexval(at(p, i + 3));
                if (h < 0 || l < 0) return perr_at(p, t->line, col, "bad escape: \\x needs two hex digits");
                v = h * 16 + l;
                if (!v) return perr_at(p, t->line, col, "a string cannot hold a NUL byte (\\x00)");
                i += 2;
                break;
            }
            case -1: case '\n': return perr(p, "unterminated string");
            default:
                if (e >= 0x20 && e < 0x7f) return perr_at(p, t->line, col, "unknown escape '\\%c' in a string", e);
                return perr_at(p, t->line, col, "unknown escape in a string");
            }
            if (str_push(p, (char)v)) return -1;
            i += 2;
            continue;
        }
        if (c < 0x20 && c != '\t')
            return perr_at(p, t->line, col, "control character 0x%02x in a string (write it as \\x%02x)", c, c);
        if (str_push(p, (char)c)) return -1;
        i++;
    }
    t->kind = TK_STR;
    t->len = i - p->pos;
    p->pos = i;
    return 0;
}

static int lex_number(Parser *p) {
    Tok *t = &p->tok;
    size_t i = p->pos;
    bool bad = false;
    t->kind = TK_NUM;
    if (at(p, i) == '+' || at(p, i) == '-') i++;
    if (is_alpha(at(p, i))) {
        size_t s = i;
        while (is_ident_char(at(p, i))) i++;
        t->is_float = true;
        bad = !((i - s == 3) && (!memcmp(p->src + s, "inf", 3) || !memcmp(p->src + s, "nan", 3)));
    } else {
        size_t s = i;
        while (is_digit(at(p, i))) i++;
        if (at(p, i) == '.') {
            t->is_float = true;
            i++;
            while (is_digit(at(p, i))) i++;
        }
        if (i - s == 1 && p->src[s] == '.') bad = true; /* "." or "-." */
        int e = at(p, i);
        if (!bad && (e == 'e' || e == 'E')) {
            size_t j = i + 1;
            if (at(p, j) == '+' || at(p, j) == '-') j++;
            if (is_digit(at(p, j))) {
                while (is_digit(at(p, j))) j++;
                i = j;
                t->is_float = true;
            }
        }
    }
    if (is_ident_char(at(p, i))) {
        bad = true;
        while (is_ident_char(at(p, i))) i++;
    }
    t->len = i - p->pos;
    p->pos = i;
    if (bad) return perr(p, "bad number '%.*s'", (int)(t->len < 40 ? t->len : 40), p->src + t->pos);
    return 0;
}

/* Read the next token into p->tok. */
static int lex(Parser *p) {
    for (;;) {
        int c = at(p, p->pos);
        if (c == ' ' || c == '\t' || c == '\r') {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && p->src[p->pos] != '\n') p->pos++;
        } else {
            break;
        }
    }
    Tok *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->pos = p->pos;
    t->line = p->line;
    t->col = (int)(p->pos - p->line_start) + 1;
    int c = at(p, p->pos), c1 = at(p, p->pos + 1);
    if (c < 0) {
        t->kind = TK_EOF;
        return 0;
    }
    if (c == '\n') {
        t->kind = TK_NL;
        t->len = 1;
        p->pos++;
        p->line++;
        p->line_start = p->pos;
        return 0;
    }
    if (is_alpha(c)) {
        while (is_ident_char(at(p, p->pos))) p->pos++;
        t->kind = TK_IDENT;
        t->len = p->pos - t->pos;
        return 0;
    }
    if (c == '-' && c1 == '>') {
        t->kind = TK_PUNCT;
        t->punct = '>';
        t->len = 2;
        p->pos += 2;
        return 0;
    }
    if (is_digit(c) || (c == '.' && is_digit(c1)) ||
        ((c == '+' || c == '-') && (is_digit(c1) || c1 == '.' || c1 == 'i' || c1 == 'n')))
        return lex_number(p);
    if (c == '"') return lex_string(p);
    if (c && strchr("()[],:=@", c)) {
        t->kind = TK_PUNCT;
        t->punct = (char)c;
        t->len = 1;
        p->pos++;
        return 0;
    }
    if (c >= 0x21 && c < 0x7f) return perr(p, "unexpected character '%c'", c);
    return perr(p, "unexpected byte 0x%02x", c);
}

/* ------------------------------------------------------- token helpers */

static bool is_punct(const Parser *p, char c) { return p->tok.kind == TK_PUNCT && p->tok.punct == c; }

static bool is_word(const Parser *p, const char *w) {
    size_t n = strlen(w);
    return p->tok.kind == TK_IDENT && p->tok.len == n && !memcmp(p->src + p->tok.pos, w, n);
}

static int expect(Parser *p, char c) {
    if (!is_punct(p, c)) {
        char buf[80];
        return perr(p, "expected '%s', found %s", c == '>' ? "->" : (char[]){c, 0}, tok_desc(p, buf, sizeof buf));
    }
    return lex(p);
}

/* A name: identifier or quoted string. *out is arena memory; "" only if allowed. */
static int parse_name(Parser *p, const char **out, bool allow_empty, const char *what) {
    char buf[80];
    const char *s;
    if (p->tok.kind == TK_IDENT) {
        s = arena_strndup(&p->g->arena, p->src + p->tok.pos, p->tok.len);
    } else if (p->tok.kind == TK_STR) {
        if (!p->str_len && !allow_empty) return perr(p, "%s must not be empty", what);
        s = arena_strndup(&p->g->arena, p->str, p->str_len);
    } else {
        return perr(p, "expected %s, found %s", what, tok_desc(p, buf, sizeof buf));
    }
    if (!s) return perr(p, "out of memory");
    *out = s;
    return lex(p);
}

/* An integer token as sign and magnitude (no conversion yet). */
static int int_token(Parser *p, bool *neg, uint64_t *mag) {
    char buf[80];
    const Tok *t = &p->tok;
    if (t->kind != TK_NUM || t->is_float) return perr(p, "expected an integer, found %s", tok_desc(p, buf, sizeof buf));
    const char *s = p->src + t->pos, *e = s + t->len;
    *neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    uint64_t m = 0;
    for (; s < e; s++) {
        uint64_t dgt = (uint64_t)(*s - '0');
        if (m > (UINT64_MAX - dgt) / 10) return perr(p, "integer %s out of range", tok_desc(p, buf, sizeof buf));
        m = m * 10 + dgt;
    }
    *mag = m;
    return 0;
}

/* An integer in [lo, hi]; consumes the token. */
static int parse_int(Parser *p, int64_t lo, int64_t hi, int64_t *out, const char *what) {
    bool neg;
    uint64_t mag;
    char buf[80];
    if (int_token(p, &neg, &mag)) return -1;
    bool fits = neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX;
    int64_t v = !fits ? 0 : neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
    if (!fits || v < lo || v > hi)
        return perr(p, "%s %s out of range (%lld..%lld)", what, tok_desc(p, buf, sizeof buf), (long long)lo,
                    (long long)hi);
    *out = v;
    return lex(p);
}

/* An opset version: 1 up to the newest kiln knows. */
static int parse_opset(Parser *p, int64_t *out) {
    int line = p->tok.line, col = p->tok.col;
    if (parse_int(p, INT64_MIN, INT64_MAX, out, "opset")) return -1;
    if (*out < 1) return perr_at(p, line, col, "opset must be at least 1");
    if (*out > KILN_MAX_OPSET)
        return perr_at(p, line, col, "unsupported opset %lld (kiln knows opsets up to %d)", (long long)*out,
                       KILN_MAX_OPSET);
    return 0;
}

/* A real number: any number token, or inf / nan. Consumes the token. */
static int parse_real(Parser *p, double *out) {
    char buf[80], num[MAX_NUM_TEXT + 1];
    const Tok *t = &p->tok;
    if (t->kind != TK_NUM && !is_word(p, "inf") && !is_word(p, "nan"))
        return perr(p, "expected a number, found %s", tok_desc(p, buf, sizeof buf));
    if (t->len > MAX_NUM_TEXT) return perr(p, "number too long");
    memcpy(num, p->src + t->pos, t->len);
    num[t->len] = 0;
    const char *s = num;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (!strcmp(s, "inf")) *out = neg ? -INFINITY : INFINITY;
    else if (!strcmp(s, "nan")) *out = neg ? -NAN : NAN;
    else *out = strtod(num, NULL); /* the lexer checked the syntax */
    return lex(p);
}

/* ------------------------------------------------------------ types */

static bool valid_c_identifier(const char *s) {
    if (!is_alpha((unsigned char)*s)) return false;
    for (; *s; s++)
        if (!is_alpha((unsigned char)*s) && !is_digit((unsigned char)*s)) return false;
    return true;
}

/* DTYPE '[' dims ']' */
static int parse_type(Parser *p, DType *t, int *rank, int64_t *dims) {
    char buf[80];
    if (p->tok.kind != TK_IDENT)
        return perr(p, "expected a dtype (f32, i64, ...), found %s", tok_desc(p, buf, sizeof buf));
    char dn[16] = "";
    if (p->tok.len < sizeof dn) memcpy(dn, p->src + p->tok.pos, p->tok.len);
    *t = dtype_from_name(dn);
    if (*t == DT_UNDEF) return perr(p, "unknown dtype %s", tok_desc(p, buf, sizeof buf));
    if (!dtype_size(*t)) return perr(p, "unsupported dtype '%s'", dn);
    if (lex(p) || expect(p, '[')) return -1;
    int r = 0;
    int64_t bytes = (int64_t)dtype_size(*t);
    int line = p->tok.line, col = p->tok.col;
    while (!is_punct(p, ']')) {
        if (r == KILN_MAX_RANK) return perr(p, "unsupported rank: more than %d dimensions", KILN_MAX_RANK);
        if (p->tok.kind == TK_IDENT)
            return perr(p, "bad shape: dimension %s is not a number (shapes are static)", tok_desc(p, buf, sizeof buf));
        if (p->tok.kind == TK_NUM && p->tok.is_float)
            return perr(p, "bad shape: dimension %s is not an integer", tok_desc(p, buf, sizeof buf));
        if (p->tok.kind == TK_NUM && p->src[p->tok.pos] == '-')
            return perr(p, "bad shape: negative dimension %s", tok_desc(p, buf, sizeof buf));
        int64_t x;
        if (parse_int(p, 0, MAX_TENSOR_BYTES, &x, "dimension")) return -1;
        dims[r++] = x;
        if (x > 0 && bytes > MAX_TENSOR_BYTES / x)
            return perr_at(p, line, col, "bad shape: tensor larger than %lld bytes", (long long)MAX_TENSOR_BYTES);
        bytes *= x;
        if (!is_punct(p, ']') && expect(p, ',')) return -1;
    }
    *rank = r;
    return lex(p);
}

/* ----------------------------------------------------------- data lists */

/* One element of dtype t at dst; consumes the token. */
static int parse_elem(Parser *p, DType t, unsigned char *dst) {
    char buf[80];
    if (dtype_is_float(t)) {
        double x;
        if (parse_real(p, &x)) return -1;
        float f = (float)x;
        uint16_t h;
        switch (t) {
        case DT_F64: memcpy(dst, &x, 8); break;
        case DT_F16: h = text_f32_to_f16(f); memcpy(dst, &h, 2); break;
        case DT_BF16: h = text_f32_to_bf16(f); memcpy(dst, &h, 2); break;
        default: memcpy(dst, &f, 4); break;
        }
        return 0;
    }
    if (t == DT_BOOL && (is_word(p, "true") || is_word(p, "false"))) {
        *dst = is_word(p, "true");
        return lex(p);
    }
    bool neg;
    uint64_t mag;
    if (int_token(p, &neg, &mag)) return -1;
    size_t es = dtype_size(t);
    bool is_signed = t == DT_I8 || t == DT_I16 || t == DT_I32 || t == DT_I64;
    uint64_t pos_max = t == DT_BOOL ? 1 : is_signed ? (UINT64_MAX >> (65 - 8 * es)) : (UINT64_MAX >> (64 - 8 * es));
    uint64_t neg_max = is_signed ? pos_max + 1 : 0;
    if (neg ? mag > neg_max : mag > pos_max)
        return perr(p, "value %s out of range for %s", tok_desc(p, buf, sizeof buf), dtype_name(t));
    uint64_t u = neg ? (uint64_t)0 - mag : mag; /* two's complement bits */
    switch (es) {
    case 1: { uint8_t x = (uint8_t)u; memcpy(dst, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)u; memcpy(dst, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)u; memcpy(dst, &x, 4); break; }
    default: memcpy(dst, &u, 8); break;
    }
    return lex(p);
}

/* '[' e, e, ... ']' filling v->data (allocated here from the arena). */
static int parse_data(Parser *p, Value *v) {
    int64_t numel = value_numel(v);
    size_t es = dtype_size(v->dtype);
    char buf[80];
    if (!is_punct(p, '[')) return perr(p, "expected a list of values, found %s", tok_desc(p, buf, sizeof buf));
    /* every value takes at least two bytes of text (digit, separator) */
    if (numel > 0 && (uint64_t)numel > (p->len - p->pos) / 2 + 1)
        return perr(p, "expected %lld values, found fewer", (long long)numel);
    v->data = arena_alloc(&p->g->arena, numel ? (size_t)numel * es : 1);
    if (!v->data) return perr(p, "out of memory");
    if (lex(p)) return -1;
    int64_t i = 0;
    while (!is_punct(p, ']')) {
        if (i >= numel) return perr(p, "too many values: expected %lld", (long long)numel);
        if (parse_elem(p, v->dtype, (unsigned char *)v->data + (size_t)i * es)) return -1;
        i++;
        if (!is_punct(p, ']') && expect(p, ',')) return -1;
    }
    if (i != numel) return perr(p, "expected %lld values, found %lld", (long long)numel, (long long)i);
    return lex(p);
}

/* ------------------------------------------------------ seeded constants */

/* splitmix64: tiny, fast, and fully specified, so the same seed gives the
 * same stream everywhere. */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; } /* [0, 1) */

/* A product rounded on its own: no compiler may fuse it into an FMA, which
 * would change the bits on some machines. */
static double mul_rounded(double a, double b) {
    volatile double r = a * b;
    return r;
}

/* Natural log by frexp and the atanh series: only +-*÷ on IEEE doubles, so it
 * does not depend on the machine's libm (whose log is not correctly rounded
 * everywhere). Accurate to a few ulp, which is all sampling needs. */
static double portable_log(double x) {
    int e;
    double m = frexp(x, &e);
    if (m < 0.70710678118654752440) {
        m = m * 2;
        e--;
    }
    double s = (m - 1) / (m + 1), s2 = mul_rounded(s, s), term = s, sum = 0;
    for (int k = 1; k < 40; k += 2) {
        sum += term / k;
        term = mul_rounded(term, s2);
    }
    return 2 * sum + mul_rounded((double)e, 0.69314718055994530942);
}

enum { DIST_UNIFORM, DIST_NORMAL };

/* Fill v (float dtype, data allocated) with the seeded distribution. The
 * normal samples come from Marsaglia's polar method, both of each pair used. */
static void seeded_fill(Value *v, int dist, uint64_t seed, double a, double b) {
    uint64_t st = seed;
    int64_t n = value_numel(v);
    double spare = 0;
    bool have_spare = false;
    for (int64_t i = 0; i < n; i++) {
        double x;
        if (dist == DIST_UNIFORM) {
            x = a + mul_rounded(b - a, next_unit(&st));
        } else {
            double z;
            if (have_spare) {
                z = spare;
                have_spare = false;
            } else {
                double u, w, s;
                do {
                    u = 2 * next_unit(&st) - 1;
                    w = 2 * next_unit(&st) - 1;
                    s = mul_rounded(u, u) + mul_rounded(w, w);
                } while (s >= 1 || s == 0);
                double f = sqrt(-2 * portable_log(s) / s);
                z = mul_rounded(u, f);
                spare = mul_rounded(w, f);
                have_spare = true;
            }
            x = a + mul_rounded(b, z);
        }
        unsigned char *dst = (unsigned char *)v->data + (size_t)i * dtype_size(v->dtype);
        float f = (float)x;
        uint16_t h;
        switch (v->dtype) {
        case DT_F64: memcpy(dst, &x, 8); break;
        case DT_F16: h = text_f32_to_f16(f); memcpy(dst, &h, 2); break;
        case DT_BF16: h = text_f32_to_bf16(f); memcpy(dst, &h, 2); break;
        default: memcpy(dst, &f, 4); break;
        }
    }
}

/* Shortest %g that reads back as exactly x (x finite). */
static void fmt_shortest(char *buf, size_t n, double x) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* seeded '(' DIST ',' SEED ',' A ',' B ')' after the keyword. */
static int parse_seeded(Parser *p, Value *v, const char *cname) {
    char buf[80], ta[40], tb[40];
    if (!dtype_is_float(v->dtype))
        return perr(p, "seeded constant '%s' needs a float dtype (f32, f64, f16, bf16), not %s", cname,
                    dtype_name(v->dtype));
    if (value_numel(v) > KG_SEEDED_MAX)
        return perr(p, "seeded constant '%s' has %lld elements, at most %lld supported", cname,
                    (long long)value_numel(v), (long long)KG_SEEDED_MAX);
    if (lex(p) || expect(p, '(')) return -1;
    int dist;
    if (is_word(p, "uniform")) dist = DIST_UNIFORM;
    else if (is_word(p, "normal")) dist = DIST_NORMAL;
    else return perr(p, "unknown distribution %s (uniform or normal)", tok_desc(p, buf, sizeof buf));
    if (lex(p) || expect(p, ',')) return -1;
    bool neg;
    uint64_t seed;
    if (int_token(p, &neg, &seed)) return -1;
    if (neg && seed) return perr(p, "the seed must not be negative");
    if (lex(p) || expect(p, ',')) return -1;
    double a, b;
    int la = p->tok.line, ca = p->tok.col;
    if (parse_real(p, &a) || expect(p, ',')) return -1;
    int lb = p->tok.line, cb = p->tok.col;
    if (parse_real(p, &b)) return -1;
    if (!isfinite(a)) return perr_at(p, la, ca, "seeded parameters must be finite");
    if (!isfinite(b)) return perr_at(p, lb, cb, "seeded parameters must be finite");
    if (dist == DIST_UNIFORM && a > b) return perr_at(p, la, ca, "uniform: LO must not exceed HI");
    if (dist == DIST_NORMAL && b < 0) return perr_at(p, lb, cb, "normal: STD must not be negative");
    if (expect(p, ')')) return -1;
    fmt_shortest(ta, sizeof ta, a);
    fmt_shortest(tb, sizeof tb, b);
    v->seed_spec = arena_printf(&p->g->arena, "seeded(%s, %llu, %s, %s)", dist == DIST_UNIFORM ? "uniform" : "normal",
                                (unsigned long long)seed, ta, tb);
    v->data = arena_alloc(&p->g->arena, value_bytes(v) ? value_bytes(v) : 1);
    if (!v->seed_spec || !v->data) return perr(p, "out of memory");
    seeded_fill(v, dist, seed, a, b);
    return 0;
}

/* ------------------------------------------------------ weights sidecar */

static int open_weights(Parser *p, const char *rel, int line, int col) {
    bool escapes = !*rel || *rel == '/';
    for (const char *s = rel; *s && !escapes; s = strchr(s, '/') ? strchr(s, '/') + 1 : s + strlen(s))
        escapes = s[0] == '.' && s[1] == '.' && (s[2] == '/' || !s[2]);
    if (escapes) return perr_at(p, line, col, "weights path '%s' escapes the folder of the .kg file", rel);
    const char *slash = strrchr(p->path, '/');
    char *dir = slash ? strndup(p->path, slash == p->path ? 1 : (size_t)(slash - p->path)) : strdup(".");
    char *rdir = dir ? realpath(dir, NULL) : NULL;
    char *full = rdir ? malloc(strlen(rdir) + strlen(rel) + 2) : NULL;
    int rc = 0;
    if (!full) {
        rc = perr_at(p, line, col, "cannot resolve the folder of '%s': %s", p->path, strerror(errno));
        goto out;
    }
    sprintf(full, "%s/%s", rdir, rel);
    char *real = realpath(full, NULL);
    if (!real) {
        rc = perr_at(p, line, col, "cannot open weights file '%s': %s", rel, strerror(errno));
        goto out;
    }
    size_t n = strlen(rdir);
    if (strncmp(real, rdir, n) || (real[n] != '/' && strcmp(rdir, "/"))) {
        rc = perr_at(p, line, col, "weights path '%s' escapes the folder of the .kg file", rel);
    } else {
        struct stat st;
        p->wf = fopen(real, "rb");
        if (!p->wf || fstat(fileno(p->wf), &st))
            rc = perr_at(p, line, col, "cannot open weights file '%s': %s", rel, strerror(errno));
        else if (!S_ISREG(st.st_mode))
            rc = perr_at(p, line, col, "weights file '%s' is not a regular file", rel);
        else
            p->wsize = (int64_t)st.st_size;
    }
    free(real);
out:
    free(dir);
    free(rdir);
    free(full);
    return rc;
}

/* blob '(' OFFSET ',' BYTES ')' after the keyword. */
static int parse_blob(Parser *p, Value *v, const char *cname) {
    int line = p->tok.line, col = p->tok.col;
    if (!p->wf) return perr(p, "blob() needs a 'weights \"FILE\"' line in the header");
    int64_t off, bytes;
    if (lex(p) || expect(p, '(') || parse_int(p, 0, INT64_MAX, &off, "offset") || expect(p, ',')) return -1;
    int bl = p->tok.line, bc = p->tok.col;
    if (parse_int(p, 0, INT64_MAX, &bytes, "size") || expect(p, ')')) return -1;
    char ty[160];
    fmt_type(ty, sizeof ty, v->dtype, v->rank, v->dims);
    if ((uint64_t)bytes != value_bytes(v))
        return perr_at(p, bl, bc, "blob size %lld does not match %s (%zu bytes)", (long long)bytes, ty, value_bytes(v));
    if (off > p->wsize || bytes > p->wsize - off)
        return perr_at(p, line, col,
                       "weights file '%s' is too short: constant '%s' needs bytes %lld..%lld but the file has %lld",
                       p->wname, cname, (long long)off, (long long)(off + bytes), (long long)p->wsize);
    v->data = arena_alloc(&p->g->arena, bytes ? (size_t)bytes : 1);
    if (!v->data) return perr_at(p, line, col, "out of memory (%lld bytes for '%s')", (long long)bytes, cname);
    if (bytes && (fseeko(p->wf, (off_t)off, SEEK_SET) || fread(v->data, 1, (size_t)bytes, p->wf) != (size_t)bytes))
        return perr_at(p, line, col, "cannot read weights file '%s' at offset %lld", p->wname, (long long)off);
    v->offset = off;
    return 0;
}

/* ------------------------------------------------------- names and values */

static int ensure_vi(Parser *p) {
    if (p->g->nvalues <= p->vi_cap) return 0;
    int cap = p->vi_cap ? p->vi_cap : 64;
    while (cap < p->g->nvalues) cap *= 2;
    ValInfo *vi = realloc(p->vi, sizeof *vi * (size_t)cap);
    if (!vi) return -1;
    memset(vi + p->vi_cap, 0, sizeof *vi * (size_t)(cap - p->vi_cap));
    p->vi = vi;
    p->vi_cap = cap;
    return 0;
}

static Value *get_value(Parser *p, const char *name) {
    Value *v = ir_value_find(p->g, name);
    if (!v) v = ir_value_new(p->g, name);
    if (!v || ensure_vi(p)) return NULL;
    return v;
}

/* A reference to a value (may come before its definition). */
static Value *use_value(Parser *p, const char *name, int line, int col) {
    Value *v = get_value(p, name);
    if (!v) {
        perr_at(p, line, col, "out of memory");
        return NULL;
    }
    ValInfo *vi = &p->vi[v->id];
    if (!vi->use_line) {
        vi->use_line = line;
        vi->use_col = col;
    }
    return v;
}

/* The one definition of a value. */
static Value *define_value(Parser *p, const char *name, int line, int col) {
    Value *v = get_value(p, name);
    if (!v) {
        perr_at(p, line, col, "out of memory");
        return NULL;
    }
    ValInfo *vi = &p->vi[v->id];
    if (vi->def_line) {
        perr_at(p, line, col, "duplicate value name '%s' (first defined at %d:%d)", name, vi->def_line, vi->def_col);
        return NULL;
    }
    vi->def_line = line;
    vi->def_col = col;
    return v;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Adds a node name; 1 if it was already there, -1 on OOM. */
static int add_node_name(Parser *p, const char *name) {
    if ((p->nn_count + 1) * 2 > p->nn_cap) {
        size_t cap = p->nn_cap ? p->nn_cap * 2 : 64;
        const char **t = calloc(cap, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < p->nn_cap; i++) {
            if (!p->node_names[i]) continue;
            size_t j = hash_str(p->node_names[i]) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = p->node_names[i];
        }
        free(p->node_names);
        p->node_names = t;
        p->nn_cap = cap;
    }
    size_t j = hash_str(name) & (p->nn_cap - 1);
    for (; p->node_names[j]; j = (j + 1) & (p->nn_cap - 1))
        if (!strcmp(p->node_names[j], name)) return 1;
    p->node_names[j] = name;
    p->nn_count++;
    return 0;
}

static int push_value(Value ***arr, int *n, int *cap, Value *v) {
    if (*n + 1 >= *cap) {
        int c = *cap ? *cap * 2 : 16;
        Value **a = realloc(*arr, sizeof *a * (size_t)c);
        if (!a) return -1;
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    (*arr)[*n] = NULL;
    return 0;
}

/* -------------------------------------------------------- attributes */

typedef struct ListElem {
    int kind;            /* 0 int, 1 float, 2 string */
    int64_t i;
    double f;
    const char *s;
    int line, col;
} ListElem;

/* '[' elements ']' as an AT_INTS / AT_FLOATS / AT_STRINGS attribute.
 * want is AT_NONE when the list had no type prefix. */
static int parse_attr_list(Parser *p, Node *n, const char *aname, AttrType want) {
    ListElem *el = NULL;
    int count = 0, cap = 0, rc = 0;
    int line = p->tok.line, col = p->tok.col;
    char buf[80];
    if (expect(p, '[')) return -1;
    while (!rc && !is_punct(p, ']')) {
        if (count == MAX_LIST) {
            rc = perr(p, "list too long (at most %d values)", MAX_LIST);
            break;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            ListElem *ne = realloc(el, sizeof *el * (size_t)cap);
            if (!ne) {
                rc = perr(p, "out of memory");
                break;
            }
            el = ne;
        }
        ListElem *e = &el[count++];
        memset(e, 0, sizeof *e);
        e->line = p->tok.line;
        e->col = p->tok.col;
        if (p->tok.kind == TK_STR) {
            e->kind = 2;
            e->s = arena_strndup(&p->g->arena, p->str, p->str_len);
            rc = e->s ? lex(p) : perr(p, "out of memory");
        } else if (p->tok.kind == TK_NUM && !p->tok.is_float) {
            bool neg;
            uint64_t mag;
            char num[MAX_NUM_TEXT + 1];
            e->kind = 0;
            if (p->tok.len > MAX_NUM_TEXT) {
                rc = perr(p, "number too long");
                break;
            }
            memcpy(num, p->src + p->tok.pos, p->tok.len);
            num[p->tok.len] = 0;
            e->f = strtod(num, NULL);
            rc = int_token(p, &neg, &mag);
            if (!rc && (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX))
                rc = perr(p, "integer %s out of range", tok_desc(p, buf, sizeof buf));
            if (!rc) {
                e->i = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
                rc = lex(p);
            }
        } else if (p->tok.kind == TK_NUM || is_word(p, "inf") || is_word(p, "nan")) {
            e->kind = 1;
            rc = parse_real(p, &e->f);
        } else {
            rc = perr(p, "expected a number or a string in the list, found %s", tok_desc(p, buf, sizeof buf));
        }
        if (!rc && !is_punct(p, ']')) rc = expect(p, ',');
    }
    if (rc) goto out;
    AttrType type = want;
    if (type == AT_NONE) {
        if (!count) {
            rc = perr_at(p, line, col, "empty list needs a type: write ints[], floats[] or strings[]");
            goto out;
        }
        type = el[0].kind == 2 ? AT_STRINGS : AT_INTS;
        for (int i = 0; i < count; i++) {
            if ((el[i].kind == 2) != (type == AT_STRINGS)) {
                rc = perr_at(p, el[i].line, el[i].col, "list mixes strings and numbers");
                goto out;
            }
            if (el[i].kind == 1) type = AT_FLOATS;
        }
    }
    for (int i = 0; i < count; i++) {
        if (type == AT_STRINGS && el[i].kind != 2) rc = perr_at(p, el[i].line, el[i].col, "expected a string");
        else if (type != AT_STRINGS && el[i].kind == 2) rc = perr_at(p, el[i].line, el[i].col, "expected a number");
        else if (type == AT_INTS && el[i].kind == 1) rc = perr_at(p, el[i].line, el[i].col, "expected an integer");
        if (rc) goto out;
    }
    Attr *a = ir_attr_set(p->g, n, aname, type);
    if (!a) {
        rc = perr(p, "out of memory");
        goto out;
    }
    a->n = count;
    Arena *ar = &p->g->arena;
    if (type == AT_INTS) a->ints = arena_alloc(ar, sizeof(int64_t) * (size_t)(count + 1));
    if (type == AT_FLOATS) a->floats = arena_alloc(ar, sizeof(double) * (size_t)(count + 1));
    if (type == AT_STRINGS) a->strings = arena_alloc(ar, sizeof(char *) * (size_t)(count + 1));
    if (!a->ints && !a->floats && !a->strings) {
        rc = perr(p, "out of memory");
        goto out;
    }
    for (int i = 0; i < count; i++) {
        if (type == AT_INTS) a->ints[i] = el[i].i;
        else if (type == AT_FLOATS) a->floats[i] = (double)(float)el[i].f; /* ONNX float attributes are f32 */
        else a->strings[i] = el[i].s;
    }
    rc = lex(p);
out:
    free(el);
    return rc;
}

/* NAME '=' VALUE; the type comes from the literal. */
static int parse_attr(Parser *p, Node *n) {
    const char *aname = NULL;
    char buf[80];
    int line = p->tok.line, col = p->tok.col;
    if (parse_name(p, &aname, false, "an attribute name")) return -1;
    if (ir_attr_find(n, aname)) return perr_at(p, line, col, "node '%s': duplicate attribute '%s'", n->name, aname);
    if (expect(p, '=')) return -1;
    Attr *a;
    if (p->tok.kind == TK_NUM && !p->tok.is_float) {
        int64_t x;
        if (parse_int(p, INT64_MIN, INT64_MAX, &x, "integer")) return -1;
        if (!(a = ir_attr_set(p->g, n, aname, AT_INT))) return perr(p, "out of memory");
        a->i = x;
    } else if (p->tok.kind == TK_NUM || is_word(p, "inf") || is_word(p, "nan")) {
        double x;
        if (parse_real(p, &x)) return -1;
        if (!(a = ir_attr_set(p->g, n, aname, AT_FLOAT))) return perr(p, "out of memory");
        a->f = (double)(float)x; /* ONNX float attributes are f32 */
    } else if (p->tok.kind == TK_STR) {
        if (!(a = ir_attr_set(p->g, n, aname, AT_STRING))) return perr(p, "out of memory");
        a->s = arena_strndup(&p->g->arena, p->str, p->str_len);
        if (!a->s) return perr(p, "out of memory");
        return lex(p);
    } else if (is_punct(p, '[')) {
        return parse_attr_list(p, n, aname, AT_NONE);
    } else if (is_word(p, "ints") || is_word(p, "floats") || is_word(p, "strings")) {
        AttrType t = is_word(p, "ints") ? AT_INTS : is_word(p, "floats") ? AT_FLOATS : AT_STRINGS;
        if (lex(p)) return -1;
        return parse_attr_list(p, n, aname, t);
    } else if (p->tok.kind == TK_IDENT) {
        /* a tensor: TYPE LIST */
        Value *v = arena_alloc(&p->g->arena, sizeof *v);
        if (!v) return perr(p, "out of memory");
        v->name = aname;
        v->id = -1;
        v->kind = VK_CONST;
        v->offset = -1;
        v->alias_of = v->output_index = v->input_index = -1;
        if (parse_type(p, &v->dtype, &v->rank, v->dims) || parse_data(p, v)) return -1;
        if (!(a = ir_attr_set(p->g, n, aname, AT_TENSOR))) return perr(p, "out of memory");
        a->t = v;
    } else {
        return perr(p, "expected an attribute value, found %s", tok_desc(p, buf, sizeof buf));
    }
    return 0;
}

/* ---------------------------------------------------------- statements */

static int stmt_input(Parser *p) {
    const char *name;
    int line = p->tok.line, col = p->tok.col;
    if (parse_name(p, &name, false, "an input name") || expect(p, ':')) return -1;
    DType t;
    int rank;
    int64_t dims[KILN_MAX_RANK];
    if (parse_type(p, &t, &rank, dims)) return -1;
    Value *v = define_value(p, name, line, col);
    if (!v) return -1;
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    v->input_index = p->g->ninputs;
    if (push_value(&p->g->inputs, &p->g->ninputs, &p->in_cap, v)) return perr(p, "out of memory");
    return 0;
}

static int stmt_const(Parser *p) {
    const char *name;
    char buf[80];
    int line = p->tok.line, col = p->tok.col;
    if (parse_name(p, &name, false, "a constant name") || expect(p, ':')) return -1;
    DType t;
    int rank;
    int64_t dims[KILN_MAX_RANK];
    if (parse_type(p, &t, &rank, dims) || expect(p, '=')) return -1;
    Value *v = define_value(p, name, line, col);
    if (!v) return -1;
    v->kind = VK_CONST;
    v->dtype = t;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    if (is_punct(p, '[')) return parse_data(p, v);
    if (is_word(p, "blob")) return parse_blob(p, v, name);
    if (is_word(p, "seeded")) return parse_seeded(p, v, name);
    return perr(p, "expected a list, blob(OFFSET, BYTES) or seeded(...), found %s", tok_desc(p, buf, sizeof buf));
}

static int add_annotation(Parser *p, Value *v, const Node *n, int line, int col, DType t, int rank,
                          const int64_t *dims) {
    if (p->nann == p->ann_cap) {
        int cap = p->ann_cap ? p->ann_cap * 2 : 64;
        Annot *a = realloc(p->ann, sizeof *a * (size_t)cap);
        if (!a) return perr_at(p, line, col, "out of memory");
        p->ann = a;
        p->ann_cap = cap;
    }
    Annot *a = &p->ann[p->nann++];
    memset(a, 0, sizeof *a);
    a->v = v;
    a->n = n;
    a->line = line;
    a->col = col;
    a->t = t;
    a->rank = rank;
    memcpy(a->dims, dims, sizeof(int64_t) * (size_t)rank);
    return 0;
}

static int stmt_node(Parser *p) {
    const char *name, *in_names[KILN_MAX_IN], *out_names[KILN_MAX_OUT];
    int in_pos[KILN_MAX_IN][2], out_pos[KILN_MAX_OUT][2];
    struct { bool has; DType t; int rank; int64_t dims[KILN_MAX_RANK]; } ann[KILN_MAX_OUT];
    char buf[80];
    int line = p->tok.line, col = p->tok.col;
    if (parse_name(p, &name, false, "a node name")) return -1;
    int dup = add_node_name(p, name);
    if (dup < 0) return perr_at(p, line, col, "out of memory");
    if (dup) return perr_at(p, line, col, "duplicate node name '%s'", name);
    if (expect(p, ':')) return -1;
    int op_line = p->tok.line, op_col = p->tok.col;
    if (p->tok.kind != TK_IDENT)
        return perr(p, "node '%s': expected an op name, found %s", name, tok_desc(p, buf, sizeof buf));
    char opname[64] = "";
    const OpInfo *info = NULL;
    if (p->tok.len < sizeof opname) {
        memcpy(opname, p->src + p->tok.pos, p->tok.len);
        info = op_lookup(opname);
    }
    if (!info) return perr(p, "node '%s': unsupported op %s", name, tok_desc(p, buf, sizeof buf));
    if (lex(p)) return -1;
    int64_t opset = p->g->opset;
    if (is_punct(p, '@') && (lex(p) || parse_opset(p, &opset))) return -1;
    if (expect(p, '(')) return -1;
    int nin = 0, nout = 0;
    while (!is_punct(p, ')')) {
        if (nin == KILN_MAX_IN) return perr(p, "node '%s': too many inputs (at most %d)", name, KILN_MAX_IN);
        in_pos[nin][0] = p->tok.line;
        in_pos[nin][1] = p->tok.col;
        if (parse_name(p, &in_names[nin], true, "an input value name")) return -1;
        nin++;
        if (!is_punct(p, ')') && expect(p, ',')) return -1;
    }
    if (lex(p) || expect(p, '>') || expect(p, '(')) return -1;
    while (!is_punct(p, ')')) {
        if (nout == KILN_MAX_OUT) return perr(p, "node '%s': too many outputs (at most %d)", name, KILN_MAX_OUT);
        out_pos[nout][0] = p->tok.line;
        out_pos[nout][1] = p->tok.col;
        if (parse_name(p, &out_names[nout], true, "an output value name")) return -1;
        ann[nout].has = false;
        if (is_punct(p, ':')) {
            if (!*out_names[nout]) return perr(p, "an omitted output (\"\") cannot have a type");
            if (lex(p) || parse_type(p, &ann[nout].t, &ann[nout].rank, ann[nout].dims)) return -1;
            ann[nout].has = true;
        }
        nout++;
        if (!is_punct(p, ')') && expect(p, ',')) return -1;
    }
    if (lex(p)) return -1;
    if (nin < info->min_in || nin > info->max_in || nout < info->min_out || nout > info->max_out) {
        bool ins = nin < info->min_in || nin > info->max_in;
        int lo = ins ? info->min_in : info->min_out, hi = ins ? info->max_in : info->max_out;
        char range[40];
        if (lo == hi) snprintf(range, sizeof range, "%d", lo);
        else snprintf(range, sizeof range, "%d to %d", lo, hi);
        return perr_at(p, op_line, op_col, "node '%s': %s takes %s %s%s, found %d", name, info->onnx_name, range,
                       ins ? "input" : "output", hi == 1 ? "" : "s", ins ? nin : nout);
    }
    Node *n = ir_node_new(p->g, info->kind, name, nin, nout);
    if (!n) return perr_at(p, line, col, "out of memory");
    n->opset = (int)opset;
    for (int k = 0; k < nin; k++)
        if (*in_names[k] && !(n->inputs[k] = use_value(p, in_names[k], in_pos[k][0], in_pos[k][1]))) return -1;
    for (int k = 0; k < nout; k++) {
        if (!*out_names[k]) continue;
        Value *v = define_value(p, out_names[k], out_pos[k][0], out_pos[k][1]);
        if (!v) return -1;
        v->producer = n;
        n->outputs[k] = v;
        if (ann[k].has) {
            v->dtype = ann[k].t;
            v->rank = ann[k].rank;
            memcpy(v->dims, ann[k].dims, sizeof(int64_t) * (size_t)ann[k].rank);
            if (add_annotation(p, v, n, out_pos[k][0], out_pos[k][1], ann[k].t, ann[k].rank, ann[k].dims)) return -1;
        }
    }
    while (p->tok.kind == TK_IDENT || p->tok.kind == TK_STR)
        if (parse_attr(p, n)) return -1;
    return 0;
}

static int stmt_output(Parser *p) {
    const char *name;
    int line = p->tok.line, col = p->tok.col;
    if (parse_name(p, &name, false, "an output name")) return -1;
    Value *v = use_value(p, name, line, col);
    if (!v) return -1;
    if (v->output_index >= 0) return perr_at(p, line, col, "graph output '%s' is listed twice", name);
    v->output_index = p->g->noutputs;
    if (push_value(&p->g->outputs, &p->g->noutputs, &p->out_cap, v)) return perr(p, "out of memory");
    return 0;
}

/* Header lines: kg, graph, opset, weights. */
static int stmt_header(Parser *p, const char *kw) {
    int line = p->tok.line, col = p->tok.col;
    if (!strcmp(kw, "graph")) {
        const char *name;
        if (p->have_graph) return perr(p, "duplicate 'graph' line");
        p->have_graph = true;
        if (parse_name(p, &name, false, "a graph name")) return -1;
        if (!valid_c_identifier(name)) return perr_at(p, line, col, "graph name '%s' is not a C identifier", name);
        p->g->name = p->name_override ? p->g->name : name;
        return 0;
    }
    if (!strcmp(kw, "opset")) {
        int64_t v;
        if (p->have_opset) return perr(p, "duplicate 'opset' line");
        p->have_opset = true;
        if (parse_opset(p, &v)) return -1;
        p->g->opset = (int)v;
        return 0;
    }
    /* weights */
    const char *rel;
    char buf[80];
    if (p->have_weights) return perr(p, "duplicate 'weights' line");
    p->have_weights = true;
    if (p->tok.kind != TK_STR) return perr(p, "expected a quoted file name, found %s", tok_desc(p, buf, sizeof buf));
    if (parse_name(p, &rel, false, "the weights file name")) return -1;
    p->wname = rel;
    return open_weights(p, rel, line, col);
}

static int statement(Parser *p) {
    char buf[80], kw[16] = "";
    if (p->tok.kind != TK_IDENT) return perr(p, "expected a statement, found %s", tok_desc(p, buf, sizeof buf));
    if (p->tok.len < sizeof kw) memcpy(kw, p->src + p->tok.pos, p->tok.len);
    int line = p->tok.line, col = p->tok.col;
    if (!p->have_version) {
        if (strcmp(kw, "kg")) return perr(p, "expected the header line 'kg %d' first, found %s", KG_VERSION,
                                          tok_desc(p, buf, sizeof buf));
        int64_t ver;
        if (lex(p)) return -1;
        int vl = p->tok.line, vc = p->tok.col;
        if (parse_int(p, 0, INT64_MAX, &ver, "version")) return -1;
        if (ver != KG_VERSION)
            return perr_at(p, vl, vc, "unsupported format version %lld (this kiln reads kg %d)", (long long)ver,
                           KG_VERSION);
        p->have_version = true;
        return 0;
    }
    bool header = !strcmp(kw, "graph") || !strcmp(kw, "opset") || !strcmp(kw, "weights");
    bool body = !strcmp(kw, "input") || !strcmp(kw, "const") || !strcmp(kw, "node") || !strcmp(kw, "output");
    if (!header && !body) {
        if (!strcmp(kw, "kg")) return perr(p, "duplicate 'kg' header line");
        return perr(p, "unknown statement %s (expected input, const, node, output, graph, opset or weights)",
                    tok_desc(p, buf, sizeof buf));
    }
    if (lex(p)) return -1;
    if (header) {
        if (p->g->nvalues || p->g->nnodes)
            return perr_at(p, line, col, "'%s' must come before inputs, constants, nodes and outputs", kw);
        return stmt_header(p, kw);
    }
    if (!p->have_graph) return perr_at(p, line, col, "missing 'graph NAME' line before the first '%s'", kw);
    if (!p->have_opset) return perr_at(p, line, col, "missing 'opset N' line before the first '%s'", kw);
    if (!strcmp(kw, "input")) return stmt_input(p);
    if (!strcmp(kw, "const")) return stmt_const(p);
    if (!strcmp(kw, "node")) return stmt_node(p);
    return stmt_output(p);
}

/* ------------------------------------------------------ final checks */

/* Run attribute parsing and shape inference on a scratch copy (inference
 * folds constants, which must not happen to the graph handed back) and
 * compare every annotated output. */
static int check_annotations(Parser *p) {
    if (!p->nann) return 0;
    Graph *g = p->g, *c = ir_graph_new(g->name, g->path);
    int rc = 0;
    if (!c) return perr_at(p, p->tok.line, p->tok.col, "out of memory");
    c->opset = g->opset;
    c->inputs = calloc((size_t)g->ninputs + 1, sizeof(Value *));
    c->outputs = calloc((size_t)g->noutputs + 1, sizeof(Value *));
    if (!c->inputs || !c->outputs) rc = perr_at(p, p->tok.line, p->tok.col, "out of memory");
    for (int i = 0; i < g->nvalues && !rc; i++) {
        const Value *s = g->values[i];
        Value *v = ir_value_new(c, s->name);
        if (!v) {
            rc = perr_at(p, p->tok.line, p->tok.col, "out of memory");
            break;
        }
        v->kind = s->kind;
        v->data = s->data; /* shared, read only */
        v->offset = s->offset;
        v->input_index = s->input_index;
        v->output_index = s->output_index;
        if (s->kind != VK_INTER) {
            v->dtype = s->dtype;
            v->rank = s->rank;
            memcpy(v->dims, s->dims, sizeof v->dims);
        }
    }
    for (int i = 0; i < g->ninputs && !rc; i++) c->inputs[c->ninputs++] = c->values[g->inputs[i]->id];
    for (int i = 0; i < g->noutputs && !rc; i++) c->outputs[c->noutputs++] = c->values[g->outputs[i]->id];
    for (int i = 0; i < g->nnodes && !rc; i++) {
        const Node *s = g->nodes[i];
        Node *n = ir_node_new(c, s->op, s->name, s->ninputs, s->noutputs);
        Attr *attrs = arena_alloc(&c->arena, sizeof(Attr) * (size_t)(s->nattrs + 1));
        if (!n || !attrs) {
            rc = perr_at(p, p->tok.line, p->tok.col, "out of memory");
            break;
        }
        n->opset = s->opset;
        for (int k = 0; k < s->ninputs; k++) n->inputs[k] = s->inputs[k] ? c->values[s->inputs[k]->id] : NULL;
        for (int k = 0; k < s->noutputs; k++) n->outputs[k] = s->outputs[k] ? c->values[s->outputs[k]->id] : NULL;
        if (s->nattrs) memcpy(attrs, s->attrs, sizeof(Attr) * (size_t)s->nattrs);
        n->attrs = attrs;
        n->nattrs = s->nattrs;
    }
    if (!rc) rc = ir_infer(c, p->d);
    for (int i = 0; i < p->nann && !rc; i++) {
        const Annot *a = &p->ann[i];
        const Value *v = c->values[a->v->id];
        if (v->dtype == a->t && v->rank == a->rank && !memcmp(v->dims, a->dims, sizeof(int64_t) * (size_t)a->rank))
            continue;
        char want[160], got[160];
        fmt_type(want, sizeof want, a->t, a->rank, a->dims);
        fmt_type(got, sizeof got, v->dtype, v->rank < 0 ? 0 : v->rank, v->dims);
        rc = perr_at(p, a->line, a->col, "node '%s': output '%s' is annotated %s but shape inference gives %s",
                     a->n->name, v->name, want, got);
    }
    ir_graph_free(c);
    return rc;
}

static int finish(Parser *p) {
    int line = p->tok.line, col = p->tok.col;
    if (!p->have_version) return perr(p, "empty file: expected the header line 'kg %d'", KG_VERSION);
    if (!p->have_graph) return perr(p, "missing 'graph NAME' line");
    if (!p->have_opset) return perr(p, "missing 'opset N' line");
    if (!p->g->noutputs) return perr_at(p, line, col, "the graph has no outputs (add 'output NAME' lines)");
    for (int i = 0; i < p->g->nvalues; i++) {
        const ValInfo *vi = &p->vi[i];
        if (!vi->def_line)
            return perr_at(p, vi->use_line, vi->use_col, "undefined value '%s'", p->g->values[i]->name);
    }
    return check_annotations(p);
}

Graph *text_parse(const char *src, size_t len, const char *path, const char *name, Diag *d) {
    Parser p = {0};
    p.src = src;
    p.len = len;
    p.line = 1;
    p.path = path ? path : "<input>";
    p.label = d && d->file ? d->file : p.path;
    p.d = d;
    p.name_override = name;
    p.g = ir_graph_new(name ? name : "model", p.path);
    if (!p.g) {
        diag_error(d, NULL, "out of memory");
        return NULL;
    }
    int rc = lex(&p);
    while (!rc && p.tok.kind != TK_EOF) {
        if (p.tok.kind == TK_NL) {
            rc = lex(&p);
            continue;
        }
        rc = statement(&p);
        if (!rc && p.tok.kind != TK_NL && p.tok.kind != TK_EOF) {
            char buf[80];
            rc = perr(&p, "unexpected %s at the end of the statement", tok_desc(&p, buf, sizeof buf));
        }
    }
    if (!rc) rc = finish(&p);
    if (p.wf) fclose(p.wf);
    free(p.str);
    free(p.vi);
    free(p.node_names);
    free(p.ann);
    if (rc) {
        ir_graph_free(p.g);
        return NULL;
    }
    return p.g;
}

Graph *text_load(const char *path, const char *name, Diag *d) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        diag_error(d, NULL, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        diag_error(d, NULL, "cannot read '%s': not a regular file", path);
    } else if ((uint64_t)st.st_size > KG_FILE_MAX) {
        diag_error(d, NULL, "'%s' is too large for a .kg file (%lld bytes, at most %zu)", path,
                   (long long)st.st_size, KG_FILE_MAX);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        diag_error(d, NULL, "out of memory reading '%s'", path);
    } else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        diag_error(d, NULL, "cannot read '%s': %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf) return NULL;
    Graph *g = text_parse(buf, (size_t)st.st_size, path, name, d);
    free(buf);
    return g;
}
