/*
 * viz_memory.c - `kiln inspect --memory-svg`: the memory plan as a timeline,
 * written as SVG by kiln itself (no Graphviz).
 *
 *   x  schedule step (index into the optimized node list), one column each
 *   y  arena byte offset, 0 at the bottom
 *
 * One rectangle per root buffer (aliases share their root's bytes, see
 * passes/alias.c; a fast kernel's scratch area is live at its node's step
 * only) from its first to its last step, coloured by the family
 * of the op that produces it; zero-copy Concat slices are dashed outlines
 * inside their buffer over their own live range. A step line shows the
 * bytes live at each step, whose maximum is the lower bound; dashed lines
 * mark the lower bound and the arena size, labelled on the right. Every
 * buffer carries a <title> tooltip (name, bytes, offset, live range,
 * aliases); names are drawn inside the rectangle when they fit, turned
 * upright in tall narrow ones, shortened to their tail otherwise. Each
 * buffer's <g class="buffer"> also carries data-offset, data-bytes,
 * data-first and data-last, so tests can check the plan from the picture.
 *
 * Live ranges are recomputed here exactly as memplan.c computes them
 * (producer step to last reading step, folded over aliases).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

#define ALIGN 64  /* memplan.c's placement alignment */

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) & ~(int64_t)(ALIGN - 1); }
static bool in_arena(const Value *v) { return v->kind == VK_INTER && v->output_index < 0; }

static int by_first(const void *pa, const void *pb) {
    const VizBuffer *a = pa, *b = pb;
    if (a->first != b->first) return a->first - b->first;
    return a->v->id - b->v->id;
}

/* first/last step of every value (-1: never), folded into alias roots when
 * fold is set; arrays of g->nvalues (malloc'd, NULL on OOM). */
static int live_ranges(const Graph *g, bool fold, int **pfirst, int **plast) {
    int *first = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    int *last = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    if (!first || !last) {
        free(first);
        free(last);
        return -1;
    }
    for (int i = 0; i < g->nvalues; i++) first[i] = last[i] = -1;
    for (int s = 0; s < g->nnodes; s++) {
        const Node *n = g->nodes[s];
        for (int k = 0; k < n->noutputs; k++)
            if (n->outputs[k]) first[n->outputs[k]->id] = last[n->outputs[k]->id] = s;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k]) last[n->inputs[k]->id] = s;
        if (n->scratch) first[n->scratch->id] = last[n->scratch->id] = s; /* a kernel's scratch: its step only */
    }
    for (int i = 0; fold && i < g->nvalues; i++) {
        const Value *v = g->values[i];
        if (v->alias_of < 0 || first[i] < 0) continue;
        int r = alias_root(g, v, NULL)->id;
        if (first[r] < 0 || first[i] < first[r]) first[r] = first[i];
        if (last[i] > last[r]) last[r] = last[i];
    }
    *pfirst = first;
    *plast = last;
    return 0;
}

int viz_buffers(const Graph *g, VizBuffer **out, int *n, int64_t **live_bytes, Diag *d) {
    *out = NULL;
    *n = 0;
    if (live_bytes) *live_bytes = NULL;
    int *first, *last;
    if (live_ranges(g, true, &first, &last)) return diag_error(d, NULL, "out of memory drawing the memory plan");
    int count = 0;
    for (int i = 0; i < g->nvalues; i++)
        count += in_arena(g->values[i]) && g->values[i]->alias_of < 0 && first[i] >= 0;
    VizBuffer *b = calloc((size_t)count + 1, sizeof *b);
    int64_t *live = calloc((size_t)g->nnodes + 1, sizeof *live);
    if (!b || !live) {
        free(b);
        free(live);
        free(first);
        free(last);
        return diag_error(d, NULL, "out of memory drawing the memory plan");
    }
    int k = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const Value *v = g->values[i];
        if (!in_arena(v) || v->alias_of >= 0 || first[i] < 0) continue;
        b[k] = (VizBuffer){v, first[i], last[i], align_up((int64_t)value_bytes(v))};
        for (int s = first[i]; s <= last[i]; s++) live[s] += b[k].size;
        k++;
    }
    qsort(b, (size_t)count, sizeof *b, by_first);
    free(first);
    free(last);
    *out = b;
    *n = count;
    if (live_bytes) *live_bytes = live;
    else free(live);
    return 0;
}

/* ------------------------------------------------------------ helpers */

/* 39804928 -> "39,804,928" */
static void digits(int64_t x, char *buf, size_t cap) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", (long long)(x < 0 ? -x : x));
    size_t o = 0;
    if (x < 0 && o + 1 < cap) buf[o++] = '-';
    for (int i = 0; i < len && o + 1 < cap; i++) {
        if (i && (len - i) % 3 == 0 && o + 1 < cap) buf[o++] = ',';
        if (o + 1 < cap) buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

/* Category colour mixed toward white by t, so neighbours tell apart. */
static void shade(const char *hex, double t, char *buf, size_t cap) {
    unsigned rgb = (unsigned)strtoul(hex + 1, NULL, 16);
    int c[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255};
    for (int i = 0; i < 3; i++) c[i] = (int)lround(c[i] + (255 - c[i]) * t);
    snprintf(buf, cap, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* Rough advance width of Helvetica/Arial text: about 0.55 em per char
 * (UTF-8 continuation bytes do not count). */
static double text_width(const char *s, double size) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n * size * 0.56;
}

/* The tail of s that is at most keep characters, marked with an ellipsis. */
static void tail(const char *s, int keep, char *buf, size_t cap) {
    int len = (int)strlen(s);
    if (len <= keep) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    const char *t = s + len - keep + 1;
    while (((unsigned char)*t & 0xC0) == 0x80) t++; /* not inside a UTF-8 sequence */
    snprintf(buf, cap, "\u2026%s", t);
}

typedef struct Plot {
    double x0, y0, w, h;     /* plot area in SVG pixels */
    double step_w;           /* pixels per schedule step */
    double ymax;             /* bytes at the top of the plot */
} Plot;

static double px_x(const Plot *p, double step) { return p->x0 + step * p->step_w; }
static double px_y(const Plot *p, double bytes) { return p->y0 + p->h - bytes / p->ymax * p->h; }

/* Byte ticks: a unit (B, KiB, MiB, GiB) and a 1-2-5 step in it, about six
 * ticks up to the top, which is rounded up to a whole step. */
static void byte_ticks(int64_t top_bytes, double *unit, const char **uname, double *step, double *top) {
    static const char *const names[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    *unit = 1;
    while (u < 3 && top_bytes >= *unit * 1024.0 * 2) {
        *unit *= 1024.0;
        u++;
    }
    *uname = names[u];
    double val = (double)top_bytes / *unit;
    double raw = val / 6.0, mag = pow(10.0, floor(log10(raw > 0 ? raw : 1)));
    *step = mag;
    static const double mult[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (mag * mult[i] >= raw) {
            *step = mag * mult[i];
            break;
        }
    *top = ceil(val * 1.04 / *step) * *step;
    if (*top <= 0) *top = *step;
}

static void emit_text(Emitter *e, double x, double y, const char *attrs, const char *s) {
    emit(e, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    viz_xml_text(e, s);
    emit(e, "</text>\n");
}

/* ---------------------------------------------------------- buffers */

static const char *alias_kind(const Value *v, const Value *root, int64_t off) {
    if (off != 0 || value_bytes(v) < value_bytes(root)) return "slice";
    if (v->producer && v->producer->elided) return "view";
    return "in place";
}

static void emit_tooltip(Emitter *e, const Graph *g, const VizBuffer *b) {
    char buf[256], bytes[32], exact[32], sz[32];
    const Value *v = b->v;
    const Node *p = g->nodes[b->first], *q = g->nodes[b->last];
    viz_shape(v, buf, sizeof buf);
    digits((int64_t)value_bytes(v), exact, sizeof exact);
    viz_bytes((int64_t)value_bytes(v), bytes, sizeof bytes);
    emit(e, "<title>");
    viz_xml_text(e, v->name);
    emit(e, " %s\nbytes: %s (%s; %lld reserved)\n", buf, exact, bytes, (long long)b->size);
    digits(v->offset, exact, sizeof exact);
    digits(v->offset + b->size, sz, sizeof sz);
    emit(e, "offset: %s .. %s\nlive: steps %d-%d, ", exact, sz, b->first, b->last);
    viz_op_label(p, buf, sizeof buf);
    emit(e, "%s '", buf);
    viz_xml_text(e, p->name);
    viz_op_label(q, buf, sizeof buf);
    emit(e, "' to %s '", buf);
    viz_xml_text(e, q->name);
    emit(e, "'");
    int shown = 0, total = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const Value *a = g->values[i];
        int64_t off;
        if (a->alias_of < 0 || alias_root(g, a, &off) != v) continue;
        if (total++ >= 12) continue;
        emit(e, "%s", shown++ ? ", " : "\nshared by: ");
        viz_xml_text(e, a->name);
        emit(e, " (%s", alias_kind(a, v, off));
        if (off) emit(e, " at +%lld", (long long)off);
        emit(e, ")");
    }
    if (total > shown) emit(e, ", and %d more", total - shown);
    emit(e, "</title>");
}

/* The name inside the rectangle: whole if it fits across or upright,
 * else its longest tail that does (at least 4 characters), else nothing. */
static void emit_label(Emitter *e, double x, double y, double w, double h, const VizBuffer *b) {
    const double fs = 9.0;
    const char *name = b->v->name;
    int len = (int)strlen(name);
    int across = h >= fs + 2 ? (int)((w - 4) / (fs * 0.56)) : 0;
    int upright = w >= fs + 2 ? (int)((h - 4) / (fs * 0.56)) : 0;
    bool rotate = upright > across && across < len;
    int fit = rotate ? upright : across;
    if (fit < 4 && fit < len) return;
    char text[128];
    tail(name, fit < 120 ? fit : 120, text, sizeof text);
    double cx = x + w / 2, cy = y + h / 2;
    if (rotate) {
        emit(e, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 %.1f %.1f)\">", cx, cy + fs * 0.35,
             cx, cy);
    } else {
        char sz[32];
        viz_bytes(b->size, sz, sizeof sz);
        bool two = h >= 2 * fs + 6 && text_width(sz, fs) + 4 <= w;
        emit(e, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">", cx, two ? cy - 1.5 : cy + fs * 0.35);
        viz_xml_text(e, text);
        if (two) emit(e, "<tspan class=\"sz\" x=\"%.1f\" dy=\"%.1f\">%s</tspan>", cx, fs + 2, sz);
        emit(e, "</text>\n");
        return;
    }
    viz_xml_text(e, text);
    emit(e, "</text>\n");
}

static void emit_buffers(Emitter *e, const Graph *g, const Plot *pl, const VizBuffer *b, int nb) {
    for (int i = 0; i < nb; i++) {
        const Value *v = b[i].v;
        double x = px_x(pl, b[i].first), w = (b[i].last - b[i].first + 1) * pl->step_w;
        double y = px_y(pl, (double)(v->offset + b[i].size)), h = b[i].size / pl->ymax * pl->h;
        if (h < 1.0) {
            y -= (1.0 - h) / 2;
            h = 1.0;
        }
        char fill[16];
        VizCategory c = v->producer ? viz_category(v->producer->op) : VC_OTHER;
        shade(viz_category_color(c), (v->id % 3) * 0.22, fill, sizeof fill);
        emit(e, "<g class=\"buffer\" id=\"buf_%d\" data-offset=\"%lld\" data-bytes=\"%lld\" data-first=\"%d\" "
                "data-last=\"%d\">", v->id, (long long)v->offset, (long long)b[i].size, b[i].first, b[i].last);
        emit_tooltip(e, g, &b[i]);
        emit(e, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s/>\n", x, y, w, h, fill,
             h >= 3 && w >= 3 ? " stroke=\"#ffffff\" stroke-width=\"0.6\"" : "");
        emit_label(e, x, y, w, h, &b[i]);
        emit(e, "</g>\n");
    }
}

/* Aliases that are a strict part of their root (zero-copy Concat inputs):
 * a dashed outline over their own live range. Returns how many. */
static int emit_slices(Emitter *e, const Graph *g, const Plot *pl, const int *first, const int *last) {
    int count = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const Value *a = g->values[i];
        int64_t off;
        if (a->alias_of < 0 || first[i] < 0) continue;
        const Value *r = alias_root(g, a, &off);
        if (!in_arena(r) || r->offset < 0 || strcmp(alias_kind(a, r, off), "slice")) continue;
        double x = px_x(pl, first[i]), w = (last[i] - first[i] + 1) * pl->step_w;
        double y = px_y(pl, (double)(r->offset + off) + (double)value_bytes(a));
        double h = (double)value_bytes(a) / pl->ymax * pl->h;
        char bytes[32];
        viz_bytes((int64_t)value_bytes(a), bytes, sizeof bytes);
        emit(e, "<g class=\"slice\"><title>");
        viz_xml_text(e, a->name);
        emit(e, ": %s at +%lld inside ", bytes, (long long)off);
        viz_xml_text(e, r->name);
        emit(e, ", steps %d-%d</title>", first[i], last[i]);
        emit(e, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#222222\" "
                "stroke-width=\"0.8\" stroke-dasharray=\"3,2\"/></g>\n", x, y, w, h < 1 ? 1 : h);
        count++;
    }
    return count;
}

/* ------------------------------------------------------------ the SVG */

int viz_memory_svg(const Graph *g, Emitter *e, Diag *d) {
    VizBuffer *b;
    int nb;
    int64_t *live;
    if (viz_buffers(g, &b, &nb, &live, d)) return -1;
    int *first, *last;
    if (live_ranges(g, false, &first, &last)) {
        free(b);
        free(live);
        return diag_error(d, NULL, "out of memory drawing the memory plan");
    }
    int steps = g->nnodes;
    /* geometry: about 12 px per step within [640, 1800] px of plot */
    Plot pl;
    pl.w = steps * 12.0;
    if (pl.w < 640) pl.w = 640;
    if (pl.w > 1800) pl.w = 1800;
    pl.step_w = steps ? pl.w / steps : pl.w;
    pl.x0 = 86;
    pl.y0 = 74;
    pl.h = 560;
    double unit, ystep, ytop;
    const char *uname;
    int64_t top = g->arena_size > g->lower_bound ? g->arena_size : g->lower_bound;
    byte_ticks(top > 0 ? top : 1024, &unit, &uname, &ystep, &ytop);
    pl.ymax = ytop * unit;
    bool op_row = pl.step_w >= 8.0;
    double label_row = 0;
    char lbl[512];
    for (int s = 0; op_row && s < steps; s++) {
        viz_op_label(g->nodes[s], lbl, sizeof lbl);
        double w = text_width(lbl, 8.0);
        if (w > 130) w = 130;
        if (w > label_row) label_row = w;
    }
    double axis_y = pl.y0 + pl.h;
    double legend_y = axis_y + 40 + (op_row ? label_row + 10 : 0);
    double width = pl.x0 + pl.w + 170;
    if (width < 900) width = 900;
    double height = legend_y + 128;

    emit(e, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    emit(e, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n", width, height, width, height);
    emit(e, "<style>.lbl{font-size:9px;fill:#1a1a1a;text-anchor:middle}.sz{font-size:8px;fill:#333333}"
            ".tick{font-size:10px;fill:#333333}.op{font-size:8px;fill:#333333}.el{font-size:8px;fill:#999999;"
            "font-style:italic}.leg{font-size:11px;fill:#222222}</style>\n");
    emit(e, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");

    /* title and summary line */
    char arena[32], lb[32], sum[32], wts[32], exact[32];
    viz_bytes(g->arena_size, arena, sizeof arena);
    viz_bytes(g->lower_bound, lb, sizeof lb);
    viz_bytes(g->sum_intermediates, sum, sizeof sum);
    viz_bytes(g->weights_size, wts, sizeof wts);
    emit(e, "<text x=\"%.0f\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", pl.x0);
    viz_xml_text(e, g->name);
    emit(e, ": memory plan</text>\n");
    snprintf(lbl, sizeof lbl, "arena %s, lower bound %s (arena/lower bound %.3f), sum of intermediates %s, %d buffers over %d steps",
             arena, lb, g->lower_bound ? (double)g->arena_size / (double)g->lower_bound : 1.0, sum, nb, steps);
    emit_text(e, pl.x0, 46, "font-size=\"12\" fill=\"#444444\"", lbl);

    /* axes, grid and ticks */
    emit(e, "<g class=\"axes\" stroke=\"#cccccc\" stroke-width=\"0.5\">\n");
    for (double t = 0; t <= ytop + ystep * 0.01; t += ystep)
        emit(e, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", pl.x0, px_y(&pl, t * unit),
             pl.x0 + pl.w, px_y(&pl, t * unit));
    emit(e, "</g>\n");
    for (double t = 0; t <= ytop + ystep * 0.01; t += ystep) {
        snprintf(lbl, sizeof lbl, "%.4g %s", t, t == 0 ? "" : uname);
        emit(e, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", pl.x0 - 6, px_y(&pl, t * unit) + 3.5);
        viz_xml_text(e, lbl);
        emit(e, "</text>\n");
    }
    int xstep = 1;
    static const int nice[] = {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000};
    for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++) {
        xstep = nice[i];
        if (xstep * pl.step_w >= 32) break;
    }
    for (int s = 0; s < steps; s += xstep) {
        double x = px_x(&pl, s + 0.5);
        emit(e, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\" stroke-width=\"0.8\"/>\n", x,
             axis_y, x, axis_y + 4);
        emit(e, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x, axis_y + 15, s);
    }
    for (int s = 0; op_row && s < steps; s++) {
        const Node *n = g->nodes[s];
        viz_op_label(n, lbl, sizeof lbl);
        char shortl[64];
        snprintf(shortl, sizeof shortl, "%.63s", lbl);
        if (text_width(shortl, 8.0) > 130) tail(lbl, (int)(130 / (8.0 * 0.56)), shortl, sizeof shortl);
        double x = px_x(&pl, s + 0.5) + 3;
        emit(e, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(-90 %.1f %.1f)\">",
             n->elided ? "el" : "op", x, axis_y + 22, x, axis_y + 22);
        viz_xml_text(e, shortl);
        emit(e, "<title>step %d: ", s);
        viz_xml_text(e, lbl);
        emit(e, " '");
        viz_xml_text(e, n->name);
        emit(e, "'</title></text>\n");
    }
    emit(e, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"font-size:11px\">schedule step (node "
            "index)%s</text>\n", pl.x0 + pl.w / 2, legend_y - 12, op_row ? " and its op; grey: moves no bytes" : "");
    emit(e, "<text class=\"tick\" style=\"font-size:11px\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\" x=\"18\" "
            "y=\"%.1f\">arena offset</text>\n", pl.y0 + pl.h / 2, pl.y0 + pl.h / 2);

    /* the buffers, the slices inside them, the live-bytes line */
    emit_buffers(e, g, &pl, b, nb);
    int nslices = emit_slices(e, g, &pl, first, last);
    if (!nb) emit_text(e, pl.x0 + pl.w / 2, pl.y0 + pl.h / 2, "font-size=\"13\" fill=\"#666666\" text-anchor=\"middle\"",
                       "no intermediate tensors: the arena is empty");
    if (steps) {
        emit(e, "<polyline class=\"live\" fill=\"none\" stroke=\"#c00000\" stroke-width=\"1.2\" points=\"");
        for (int s = 0; s < steps; s++)
            emit(e, "%.1f,%.1f %.1f,%.1f ", px_x(&pl, s), px_y(&pl, (double)live[s]), px_x(&pl, s + 1),
                 px_y(&pl, (double)live[s]));
        emit(e, "\"><title>bytes live at each step</title></polyline>\n");
    }
    emit(e, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444444\" "
            "stroke-width=\"0.8\"/>\n", pl.x0, pl.y0, pl.w, pl.h);

    /* arena and lower bound: dashed lines, labelled right of the plot
     * (pulled apart when they nearly coincide) */
    double ya = px_y(&pl, (double)g->arena_size), yl = px_y(&pl, (double)g->lower_bound);
    double la = ya - 3, ll = yl + 11;
    if (ll - la < 14) {
        double mid = (la + ll) / 2;
        la = mid - 7;
        ll = mid + 7;
    }
    double xr = pl.x0 + pl.w;
    emit(e, "<line class=\"arena\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" "
            "stroke-width=\"1.2\" stroke-dasharray=\"7,4\"/>\n", pl.x0, ya, xr + 6, ya);
    emit(e, "<line class=\"lower-bound\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00000\" "
            "stroke-width=\"1.2\" stroke-dasharray=\"2,3\"/>\n", pl.x0, yl, xr + 6, yl);
    snprintf(lbl, sizeof lbl, "arena %s", arena);
    emit_text(e, xr + 9, la, "font-size=\"11\" font-weight=\"bold\"", lbl);
    snprintf(lbl, sizeof lbl, "lower bound %s", lb);
    emit_text(e, xr + 9, ll, "font-size=\"11\" fill=\"#c00000\"", lbl);

    /* legend */
    double y = legend_y + 8, x = pl.x0;
    bool used[VC_COUNT_] = {false};
    for (int i = 0; i < nb; i++) used[b[i].v->producer ? viz_category(b[i].v->producer->op) : VC_OTHER] = true;
    emit_text(e, x, y + 9, "class=\"leg\" font-weight=\"bold\"", "buffers by producer:");
    x += 130;
    for (int c = 0; c < VC_COUNT_; c++) {
        if (!used[c]) continue;
        emit(e, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"11\" fill=\"%s\"/>\n", x, y, viz_category_color((VizCategory)c));
        emit_text(e, x + 16, y + 9, "class=\"leg\"", viz_category_name((VizCategory)c));
        x += 26 + text_width(viz_category_name((VizCategory)c), 11);
    }
    y += 22;
    x = pl.x0;
    digits(g->arena_size, exact, sizeof exact);
    emit(e, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" stroke-width=\"1.2\" "
            "stroke-dasharray=\"7,4\"/>\n", x, y + 5, x + 28, y + 5);
    snprintf(lbl, sizeof lbl, "arena: %s (%s bytes)", arena, exact);
    emit_text(e, x + 34, y + 9, "class=\"leg\"", lbl);
    x += 64 + text_width(lbl, 11);
    digits(g->lower_bound, exact, sizeof exact);
    emit(e, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00000\" stroke-width=\"1.2\" "
            "stroke-dasharray=\"2,3\"/>\n", x, y + 5, x + 28, y + 5);
    snprintf(lbl, sizeof lbl, "lower bound (most bytes live at one step): %s (%s bytes)", lb, exact);
    emit_text(e, x + 34, y + 9, "class=\"leg\"", lbl);
    y += 22;
    x = pl.x0;
    emit(e, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#c00000\" "
            "stroke-width=\"1.2\"/>\n", x, y + 9, x + 10, y + 9, x + 10, y + 2, x + 28, y + 2);
    emit_text(e, x + 34, y + 9, "class=\"leg\"", "bytes live at each step");
    x += 64 + text_width("bytes live at each step", 11);
    if (nslices) {
        emit(e, "<rect x=\"%.1f\" y=\"%.1f\" width=\"28\" height=\"10\" fill=\"none\" stroke=\"#222222\" "
                "stroke-dasharray=\"3,2\"/>\n", x, y);
        snprintf(lbl, sizeof lbl, "zero-copy Concat input written into its slice (%d)", nslices);
        emit_text(e, x + 34, y + 9, "class=\"leg\"", lbl);
    }
    y += 22;
    digits(g->sum_intermediates, exact, sizeof exact);
    snprintf(lbl, sizeof lbl, "sum of intermediates %s (%s bytes): the arena is %.1f%% of it; weights %s (read-only, "
             "not in the arena).", sum, exact,
             g->sum_intermediates ? 100.0 * (double)g->arena_size / (double)g->sum_intermediates : 0.0, wts);
    emit_text(e, pl.x0, y + 9, "font-size=\"11\" fill=\"#555555\"", lbl);
    emit_text(e, pl.x0, y + 27, "font-size=\"11\" fill=\"#555555\"",
              "Hover a buffer for its name, bytes, offset, live range and aliases; hover a step's op for its node.");
    emit(e, "</svg>\n");
    free(b);
    free(live);
    free(first);
    free(last);
    if (e->oom) return diag_error(d, NULL, "out of memory drawing the memory plan");
    return 0;
}
