/*
 * test_core.c - unit tests of the compiler core: arena, diagnostics, the op
 * table's consistency, graph building, topological sort and its errors,
 * shape helpers, and the memory planner on a hand-built chain.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ir.h"

Test(arena, alloc_is_zeroed_aligned_and_freed) {
    Arena a = {0};
    for (int i = 1; i < 2000; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)i);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 16, 0);
        for (int k = 0; k < i; k++) cr_assert_eq(p[k], 0);
        memset(p, 0xab, (size_t)i);
    }
    void *big = arena_alloc(&a, 10 << 20);
    cr_assert_not_null(big);
    cr_assert_str_eq(arena_printf(&a, "%s-%d", "x", 42), "x-42");
    cr_assert_str_eq(arena_strndup(&a, "hello", 3), "hel");
    arena_free(&a);
    cr_assert_null(a.head);
}

Test(diag, messages_lead_with_file_and_node) {
    Diag d;
    diag_init(&d, "m.onnx");
    Node n = {.op = OP_CONV, .name = "layer1/conv"};
    cr_assert_eq(diag_error(&d, &n, "input has rank %d", 3), -1);
    cr_assert_str_eq(d.text, "m.onnx: node 'layer1/conv' (Conv): input has rank 3\n");
    diag_internal(&d, "bad %s", "thing");
    cr_assert(strstr(d.text, "internal error at test_core.c:"));
    cr_assert_eq(d.nerrors, 2);
    cr_assert_eq(d.internal, 1);
    diag_free(&d);
}

Test(ops, table_is_consistent) {
    for (int k = 0; k < OP_COUNT_; k++) {
        const OpInfo *o = &op_table[k];
        cr_assert_eq(o->kind, (OpKind)k, "row %d out of order", k);
        cr_assert(o->onnx_name && *o->onnx_name);
        cr_assert_eq(op_lookup(o->onnx_name), o, "%s lookup", o->onnx_name);
        cr_assert(o->min_in >= 0 && o->min_in <= o->max_in && o->max_in <= KILN_MAX_IN, "%s arity", o->onnx_name);
        cr_assert(o->min_out >= 1 && o->min_out <= o->max_out && o->max_out <= KILN_MAX_OUT, "%s outs", o->onnx_name);
        cr_assert(o->parse && o->infer && o->exec && o->emit_c, "%s slots", o->onnx_name);
        for (int j = 0; j < k; j++) cr_assert(strcmp(op_table[j].onnx_name, o->onnx_name), "duplicate row");
    }
    cr_assert_null(op_lookup("NoSuchOp"));
    cr_assert_null(op_lookup("relu"), "lookup is case-sensitive like ONNX");
}

Test(dtype, names_round_trip) {
    for (int t = 1; t < DT_COUNT_; t++) {
        if (!dtype_size((DType)t)) continue;
        cr_assert_eq(dtype_from_name(dtype_name((DType)t)), (DType)t);
    }
    cr_assert_eq(dtype_size(DT_F32), 4);
    cr_assert_eq(dtype_size(DT_BOOL), 1);
    cr_assert_eq(dtype_size(DT_STRING), 0);
    cr_assert_eq(dtype_from_name("nope"), DT_UNDEF);
}

static Value *input(Graph *g, const char *name, int rank, const int64_t *dims) {
    Value *v = ir_value_new(g, name);
    v->kind = VK_INPUT;
    v->dtype = DT_F32;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    return v;
}

/* x -> Relu -> Sigmoid -> Tanh -> y, with the nodes added out of order */
static Graph *chain(void) {
    Graph *g = ir_graph_new("t", "t.kg");
    int64_t dims[2] = {2, 3};
    Value *x = input(g, "x", 2, dims);
    Value *a = ir_value_new(g, "a"), *b = ir_value_new(g, "b"), *y = ir_value_new(g, "y");
    Node *n3 = ir_node_new(g, OP_TANH, "n3", 1, 1);
    n3->inputs[0] = b;
    n3->outputs[0] = y;
    Node *n1 = ir_node_new(g, OP_RELU, "n1", 1, 1);
    n1->inputs[0] = x;
    n1->outputs[0] = a;
    Node *n2 = ir_node_new(g, OP_SIGMOID, "n2", 1, 1);
    n2->inputs[0] = a;
    n2->outputs[0] = b;
    g->inputs = calloc(2, sizeof(Value *));
    g->outputs = calloc(2, sizeof(Value *));
    g->inputs[g->ninputs++] = x;
    x->input_index = 0;
    g->outputs[g->noutputs++] = y;
    y->output_index = 0;
    return g;
}

Test(graph, toposort_orders_and_infers) {
    Graph *g = chain();
    Diag d;
    diag_init(&d, "t.kg");
    cr_assert_eq(ir_toposort(g, &d), 0, "%s", d.text ? d.text : "");
    cr_assert_str_eq(g->nodes[0]->name, "n1");
    cr_assert_str_eq(g->nodes[1]->name, "n2");
    cr_assert_str_eq(g->nodes[2]->name, "n3");
    cr_assert_eq(ir_infer(g, &d), 0, "%s", d.text ? d.text : "");
    Value *y = ir_value_find(g, "y");
    cr_assert_eq(y->rank, 2);
    cr_assert_eq(y->dims[1], 3);
    cr_assert_eq(y->dtype, DT_F32);
    cr_assert_eq(ir_verify(g, &d), 0);
    diag_free(&d);
    ir_graph_free(g);
}

Test(graph, cycle_is_reported_with_node) {
    Graph *g = chain();
    /* make n1 read b: n1 -> n2 -> n1 */
    for (int i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i]->name, "n1")) g->nodes[i]->inputs[0] = ir_value_find(g, "b");
    Diag d;
    diag_init(&d, "t.kg");
    cr_assert_neq(ir_toposort(g, &d), 0);
    cr_assert(strstr(d.text, "cycle"), "%s", d.text);
    cr_assert(strstr(d.text, "node 'n"), "%s", d.text);
    diag_free(&d);
    ir_graph_free(g);
}

Test(graph, unproduced_input_is_reported) {
    Graph *g = chain();
    Value *ghost = ir_value_new(g, "ghost");
    g->nodes[0]->inputs[0] = ghost; /* n3 */
    Diag d;
    diag_init(&d, "t.kg");
    cr_assert_neq(ir_toposort(g, &d), 0);
    cr_assert(strstr(d.text, "'ghost' is not produced"), "%s", d.text);
    cr_assert(strstr(d.text, "node 'n3' (Tanh)"), "%s", d.text);
    diag_free(&d);
    ir_graph_free(g);
}

Test(graph, value_index_survives_growth) {
    Graph *g = ir_graph_new("t", "t");
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "v%d", i);
        cr_assert_not_null(ir_value_new(g, name));
    }
    for (int i = 0; i < 5000; i += 97) {
        snprintf(name, sizeof name, "v%d", i);
        Value *v = ir_value_find(g, name);
        cr_assert_not_null(v);
        cr_assert_eq(v->id, i);
    }
    cr_assert_null(ir_value_find(g, "v5000"));
    ir_graph_free(g);
}

Test(shape, broadcasting) {
    Diag d;
    diag_init(&d, "t");
    int64_t a[4] = {8, 1, 6, 1}, b[3] = {7, 1, 5}, out[8];
    int r;
    cr_assert_eq(broadcast_shapes(NULL, 4, a, 3, b, &r, out, &d), 0);
    cr_assert_eq(r, 4);
    int64_t want[4] = {8, 7, 6, 5};
    cr_assert_arr_eq(out, want, sizeof want);
    int64_t c[1] = {3}, e[1] = {4};
    cr_assert_neq(broadcast_shapes(NULL, 1, c, 1, e, &r, out, &d), 0);
    cr_assert(strstr(d.text, "cannot be broadcast"));
    int ax;
    cr_assert_eq(norm_axis(NULL, -1, 4, &ax, &d), 0);
    cr_assert_eq(ax, 3);
    cr_assert_neq(norm_axis(NULL, 4, 4, &ax, &d), 0);
    diag_free(&d);
}

Test(memplan, chain_reuses_memory) {
    Graph *g = chain();
    Diag d;
    diag_init(&d, "t.kg");
    cr_assert_eq(ir_infer(g, &d), 0);
    cr_assert_eq(pass_memplan_level(g, 0, &d), 0);
    /* without aliasing: a (24 B -> 64 aligned) and b are live together at n2 */
    Value *a = ir_value_find(g, "a"), *b = ir_value_find(g, "b");
    cr_assert_eq(g->arena_size, 128);
    cr_assert_eq(g->lower_bound, 128);
    cr_assert_neq(a->offset, b->offset);
    /* with aliasing, Sigmoid runs in place: b shares a's bytes */
    cr_assert_eq(pass_memplan_level(g, 1, &d), 0);
    cr_assert_eq(b->alias_of, a->id);
    cr_assert_eq(b->offset, a->offset);
    cr_assert_eq(g->arena_size, 64);
    cr_assert_eq(ir_value_find(g, "y")->offset, -1, "outputs live in the caller's buffer");
    diag_free(&d);
    ir_graph_free(g);
}
