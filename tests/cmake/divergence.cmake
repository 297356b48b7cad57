# Divergence module (core/divergence.cpp, `attnscope divergence`): the independent NumPy reference recomputes every
# metric on seeded random clouds and compares with the command's JSON. Needs Debian's python3-numpy.
if(DEBIAN_PYTHON3)
  add_test(NAME divergence_numpy_reference
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/divergence_reference.py
                   $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/divergence_reference)
  set_tests_properties(divergence_numpy_reference PROPERTIES LABELS "reference;divergence" TIMEOUT 900)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the divergence NumPy cross-check is not registered")
endif()
