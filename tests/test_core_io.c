/* test_core_io.c — the core's whole-file reader (size cap, exact bytes
 * with embedded NULs, one-line errors naming the file) and its monotonic
 * clock (never goes back; measures a known sleep). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/file.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/test_core_io.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char p[128];
    const char *names[] = {"empty", "small", "exact", "over", "big"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

/* Write n bytes of pattern (byte i = i * 7 mod 256, so NULs included). */
static const char *make_file(const char *name, size_t n)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)((i * 7) & 0xff), f);
    assert_int_equal(fclose(f), 0);
    return p;
}

static void check_read(const char *path, size_t n, size_t max)
{
    char *text = (char *)1, err[256] = "";
    size_t len = 12345;
    assert_int_equal(dln_file_read(path, "job file", max, &text, &len, err,
                                   sizeof err), 0);
    assert_non_null(text);
    assert_int_equal(len, n);
    assert_int_equal(text[n], '\0');
    for (size_t i = 0; i < n; i++)
        assert_int_equal((unsigned char)text[i], (i * 7) & 0xff);
    assert_string_equal(err, "");
    free(text);
}

static void reads_whole_files(void **state)
{
    check_read(make_file("empty", 0), 0, 100);
    check_read(make_file("small", 10), 10, 100);
    /* exactly the cap is allowed, across the first 4 KB buffer */
    check_read(make_file("exact", 10000), 10000, 10000);
    check_read(make_file("big", 300000), 300000, 16u << 20);
}

static void refuses_oversized_and_missing(void **state)
{
    char *text = (char *)1, err[256] = "", want[256];
    size_t len = 7;
    const char *p = make_file("over", 10001);
    assert_int_equal(dln_file_read(p, "job file", 10000, &text, &len, err,
                                   sizeof err), 2);
    assert_null(text);
    assert_int_equal(len, 0);
    snprintf(want, sizeof want, "%s: job file larger than 10000 bytes", p);
    assert_string_equal(err, want);
    /* a small cap below the first buffer size */
    assert_int_equal(dln_file_read(p, "job file", 3, &text, &len, err,
                                   sizeof err), 2);
    assert_non_null(strstr(err, "larger than 3 bytes"));

    char missing[128];
    snprintf(missing, sizeof missing, "%s/no_such_file.yaml", dir);
    text = (char *)1;
    assert_int_equal(dln_file_read(missing, "job file", 100, &text, &len,
                                   err, sizeof err), 2);
    assert_null(text);
    snprintf(want, sizeof want, "%s: cannot read job file: %s", missing,
             strerror(ENOENT));
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));
    /* a directory opens but cannot be read */
    assert_int_equal(dln_file_read(dir, "job file", 100, &text, &len, err,
                                   sizeof err), 2);
    assert_null(text);
    assert_non_null(strstr(err, "cannot read job file"));
}

static void clock_is_monotonic(void **state)
{
    double t0 = dln_clock_now(), prev = t0;
    for (int i = 0; i < 100000; i++) {
        double t = dln_clock_now();
        assert_true(t >= prev);
        prev = t;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};   /* 20 ms */
    double a = dln_clock_now();
    nanosleep(&ts, NULL);
    double slept = dln_clock_now() - a;
    assert_true(slept >= 0.0199 && slept < 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_whole_files),
        cmocka_unit_test(refuses_oversized_and_missing),
        cmocka_unit_test(clock_is_monotonic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
