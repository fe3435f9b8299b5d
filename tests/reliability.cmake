# reliability.cmake — no command may damage or strand a database, and every
# refusal leaves it byte-identical (issue 13): kill -9 and signals at exact
# moments through DLN_TEST_HOOK points, damaged and foreign files, refused
# commands, hand-deleted rows, memory limits, a full disk.  Each case drives
# the real binary for a few seconds; see tests/reliability_test.py.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  # CASE:NP, NP the most processes a case runs at once (inputs races six
  # `single`s for one new file; the others launch up to 3 ranks).
  foreach(case_np snapshot-live:1 create-kill:1 damaged:2 yaml-deep:2
                  hand-delete:1 refusals:1 signals:3 memory:2 leases:1
                  inputs:6 full-disk:3)
    string(REPLACE ":" ";" case_np ${case_np})
    list(GET case_np 0 case)
    list(GET case_np 1 np)
    dln_add_mpi_test(NAME reliability_${case} NP ${np}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/reliability_test.py
              ${case} --exe $<TARGET_FILE:dlnsweep>
              --launcher "${DLN_MPI_RUN_TEXT}"
              --jobs ${CMAKE_SOURCE_DIR}/jobs --tests ${CMAKE_SOURCE_DIR}/tests
              --work ${CMAKE_CURRENT_BINARY_DIR}/reliability_work
      LABELS reliability TIMEOUT 180)
  endforeach()
endif()
