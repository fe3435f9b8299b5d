# The documentation: every relative link and image in README.md and
# docs/*.md resolves (anchors included) and README.md lists every docs/
# file (docs_links); docs/schema.md names every table and column of a
# database dlnsweep creates, and docs/figures.md or schema.md every view
# (docs_schema).  The generated parameter tables in docs/job-files.md are
# checked by docs_params (tests/params.cmake).
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME docs_links
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/docs_links.py
          ${CMAKE_SOURCE_DIR})
add_test(NAME docs_schema
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/docs_schema.py
          $<TARGET_FILE:dlnsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(docs_schema PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
