# The core's system helpers: the whole-file reader and the monotonic clock.
dln_add_unit_test(test_core_io tests/test_core_io.c core)
# The one JSON writer (stored numbers round-trip) and the growable string.
dln_add_unit_test(test_json_strbuf tests/test_json_strbuf.c core)
