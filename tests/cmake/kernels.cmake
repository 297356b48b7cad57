# Kernels module: NumPy cross-checks of `attnscope weights` and the CLI's error handling (tests/reference/).
if(DEBIAN_PYTHON3)
  add_test(NAME kernels_numpy_reference
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/kernels_reference.py
                   $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/kernels_reference)
  add_test(NAME kernels_cli_errors
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/kernels_reference.py
                   $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/kernels_cli_errors --errors)
  set_tests_properties(kernels_numpy_reference kernels_cli_errors PROPERTIES LABELS "kernels;reference" TIMEOUT 120)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the kernels' NumPy reference tests are not registered")
endif()
