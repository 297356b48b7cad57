# Long sequences (README "Long sequences"): `attnscope map` against NumPy on a seeded capture without attention, and
# the streamed map of a real stories260K q/k-only capture against the attention the model stored.
if(DEBIAN_PYTHON3)
  add_test(NAME long_map_reference
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/long_map_reference.py $<TARGET_FILE:attnscope>
                   ${CMAKE_CURRENT_BINARY_DIR}/long_map_reference ${ATTNSCOPE_MODELS_DIR})
  set_tests_properties(long_map_reference PROPERTIES LABELS "long;reference;cli" TIMEOUT 300)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the long-sequence reference test is not registered")
endif()
