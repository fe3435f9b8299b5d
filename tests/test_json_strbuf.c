/* test_json_strbuf.c — the one JSON writer (json.h): stored numbers
 * round-trip exactly ("%.17g": 0.1, 1e-300, denormals, -0.0; null for NaN
 * and infinities), the fast array writer gives the same text as the
 * objects, the commands' printed numbers keep json-c's form; and the
 * growable string (strbuf.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/json.h"
#include "dlnsweep/strbuf.h"

static const double values[] = {0.1, 1e-300, 4.9406564584124654e-324,
                                2.2250738585072009e-308, -0.0, 0.0, 1.0,
                                -2.5, 1e300, DBL_MAX, -DBL_MIN, 3.0e-5,
                                123456789012345678.0, 1.0 / 3.0};
#define NV ((int)(sizeof values / sizeof values[0]))

static void numbers_round_trip(void **state)
{
    char text[DLN_JSON_NUMBER_MAX], want[64];
    for (int i = 0; i < NV; i++) {
        int len = dln_json_number_text(values[i], text);
        snprintf(want, sizeof want, "%.17g", values[i]);
        assert_string_equal(text, want);          /* today's stored digits */
        assert_int_equal(len, (int)strlen(want));
        double back = strtod(text, NULL);
        assert_memory_equal(&back, &values[i], sizeof back);   /* bitwise */
        /* and through a json-c object and its parser */
        json_object *o = dln_json_exact(values[i]);
        dln_strbuf b = DLN_STRBUF_INIT;
        assert_int_equal(dln_json_append(&b, o), 0);
        assert_string_equal(dln_strbuf_text(&b), want);
        json_object *p = json_tokener_parse(dln_strbuf_text(&b));
        double parsed = json_object_get_double(p);
        assert_true(parsed == values[i]);
        json_object_put(p);
        json_object_put(o);
        dln_strbuf_free(&b);
    }
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dln_json_number_text(bad[i], text), 4);
        assert_string_equal(text, "null");
        assert_null(dln_json_exact(bad[i]));
        assert_null(dln_json_real(bad[i]));
    }
}

static void arrays_agree(void **state)
{
    double v[NV + 2];
    memcpy(v, values, sizeof values);
    v[NV] = NAN;
    v[NV + 1] = -INFINITY;
    int n = NV + 2;
    dln_strbuf fast = DLN_STRBUF_INIT, slow = DLN_STRBUF_INIT;
    assert_int_equal(dln_json_append_numbers(&fast, v, n, 0), 0);
    json_object *a = dln_json_exacts(v, n);
    assert_int_equal(dln_json_append(&slow, a), 0);
    assert_string_equal(dln_strbuf_text(&fast), dln_strbuf_text(&slow));
    assert_non_null(strstr(dln_strbuf_text(&fast), ",null,null]"));
    assert_int_equal(strncmp(dln_strbuf_text(&fast), "[0.10000000000000001,",
                             21), 0);
    json_object_put(a);
    dln_strbuf_free(&fast);
    dln_strbuf_free(&slow);
    /* groups: [[a,b],[c,d],[e]] */
    const double g[] = {1, 2, 3, 4, 0.5};
    assert_int_equal(dln_json_append_numbers(&fast, g, 5, 2), 0);
    assert_string_equal(dln_strbuf_text(&fast), "[[1,2],[3,4],[0.5]]");
    dln_strbuf_free(&fast);
    assert_int_equal(dln_json_append_numbers(&fast, g, 0, 0), 0);
    assert_string_equal(dln_strbuf_text(&fast), "[]");
    dln_strbuf_free(&fast);
}

static void printed_numbers_keep_json_c_form(void **state)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "one", dln_json_real(1.0));
    json_object_object_add(o, "tenth", dln_json_real(0.1));
    json_object_object_add(o, "nan", dln_json_real(NAN));
    json_object_object_add(o, "path", json_object_new_string("a/b"));
    dln_strbuf b = DLN_STRBUF_INIT;
    assert_int_equal(dln_json_append(&b, o), 0);
    assert_string_equal(dln_strbuf_text(&b), "{\"one\":1.0,\"tenth\":0.10000000000000001,"
                        "\"nan\":null,\"path\":\"a/b\"}");
    json_object_put(o);
    dln_strbuf_free(&b);
}

static void strbuf_builds_and_takes(void **state)
{
    dln_strbuf b;
    dln_strbuf_init(&b);
    assert_string_equal(dln_strbuf_text(&b), "");
    assert_int_equal(dln_strbuf_append(&b, "ab"), 0);
    assert_int_equal(dln_strbuf_appendn(&b, "cdef", 2), 0);
    assert_int_equal(dln_strbuf_appendf(&b, "-%d-%s", 42, "x"), 0);
    assert_string_equal(dln_strbuf_text(&b), "abcd-42-x");
    /* grow well past the first allocation, through appendf's retry */
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 5; i++)
        assert_int_equal(dln_strbuf_appendf(&b, "%s", big), 0);
    assert_int_equal(b.n, 9 + 5 * 999);
    size_t len = 0;
    char *t = dln_strbuf_take(&b, &len);
    assert_non_null(t);
    assert_int_equal(len, 9 + 5 * 999);
    assert_int_equal(strlen(t), len);
    assert_int_equal(strncmp(t, "abcd-42-xyyy", 12), 0);
    free(t);
    assert_null(b.p);                       /* take leaves it empty */
    assert_string_equal(dln_strbuf_text(&b), "");
    t = dln_strbuf_take(&b, NULL);          /* an empty take: "" */
    assert_non_null(t);
    assert_string_equal(t, "");
    free(t);
    /* copy into a caller's buffer, cut to fit */
    char small[5];
    dln_strbuf_append(&b, "abcdefgh");
    dln_strbuf_copy(&b, small, sizeof small);
    assert_string_equal(small, "abcd");
    dln_strbuf_free(&b);
    dln_strbuf_copy(&b, small, sizeof small);
    assert_string_equal(small, "");
    dln_strbuf_free(&b);                    /* twice: harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_round_trip),
        cmocka_unit_test(arrays_agree),
        cmocka_unit_test(printed_numbers_keep_json_c_form),
        cmocka_unit_test(strbuf_builds_and_takes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
