# The documentation's links: every relative link and image in README.md and
# docs/*.md resolves (anchors included), and README.md lists every docs/
# file.  (The generated parameter tables in docs/job-files.md are checked
# by docs_params, tests/params.cmake.)
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME docs_links
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/docs_links.py
          ${CMAKE_SOURCE_DIR})
