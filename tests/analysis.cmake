# analysis.cmake -- tests of analysis/views.sql and analysis/figures.py on a
# database written by the real binary (mpirun on jobs/smoke.yaml + one
# `dlnsweep single`).  They need a python3 with numpy and matplotlib: the
# Debian one (python3-numpy python3-matplotlib), not necessarily the first
# python3 on PATH.  Override with -DDLN_PYTHON3=/path/to/python3.
if(NOT DLN_PYTHON3)
  find_program(DLN_PYTHON3_ON_PATH python3)
  foreach(candidate /usr/bin/python3 ${DLN_PYTHON3_ON_PATH})
    if(EXISTS ${candidate})
      execute_process(COMMAND ${candidate} -c "import numpy, matplotlib"
        RESULT_VARIABLE dln_py_rc OUTPUT_QUIET ERROR_QUIET)
      if(dln_py_rc EQUAL 0)
        set(DLN_PYTHON3 ${candidate} CACHE FILEPATH
          "python3 with numpy and matplotlib, for analysis/ and its tests")
        break()
      endif()
    endif()
  endforeach()
endif()

# test_analysis.py runs one sweep on 2 ranks.
dln_add_mpi_test(NAME analysis_figures NP 2
  COMMAND ${DLN_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/test_analysis.py
    --dlnsweep $<TARGET_FILE:dlnsweep>
    --source-dir ${CMAKE_SOURCE_DIR}
    --workdir ${CMAKE_CURRENT_BINARY_DIR}/analysis_figures
    -- ${DLN_MPI_RUN}
  ENVIRONMENT MPLBACKEND=Agg LABELS analysis integration TIMEOUT 300)
if(NOT DLN_PYTHON3)
  message(WARNING "analysis_figures disabled: no python3 with numpy and "
    "matplotlib (apt-get install python3-numpy python3-matplotlib, or "
    "-DDLN_PYTHON3=...)")
  set_tests_properties(analysis_figures PROPERTIES DISABLED TRUE)
endif()

# The paper's figures (jobs/paper-*.yaml, figures.py osc_range, bifurcation
# --quantity, balance, layers) against closed forms and an independent
# NumPy network (tests/ref_dln.py); explicit inits (init file, init_diag).
add_test(NAME paper_figures
  COMMAND ${DLN_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/test_paper_figures.py
    --dlnsweep $<TARGET_FILE:dlnsweep>
    --source-dir ${CMAKE_SOURCE_DIR}
    --workdir ${CMAKE_CURRENT_BINARY_DIR}/paper_figures)
set_tests_properties(paper_figures PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1;MPLBACKEND=Agg"
  LABELS "analysis;integration" TIMEOUT 300)
if(NOT DLN_PYTHON3)
  set_tests_properties(paper_figures PROPERTIES DISABLED TRUE)
endif()
