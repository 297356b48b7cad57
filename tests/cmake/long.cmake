# Long sequences (README "Long sequences"): `attnscope map` against NumPy on a seeded capture without attention, and
# the streamed map of a real stories260K q/k-only capture against the attention the model stored.
if(DEBIAN_PYTHON3)
  add_test(NAME long_map_reference
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/long_map_reference.py $<TARGET_FILE:attnscope>
                   ${CMAKE_CURRENT_BINARY_DIR}/long_map_reference ${ATTNSCOPE_MODELS_DIR})
  set_tests_properties(long_map_reference PROPERTIES LABELS "long;reference;cli" TIMEOUT 300)
  # A real 2,048-token capture without attention (stories260K's GGUF at its full context): `attnscope map` against
  # the dense kernel (1e-6 relative) and NumPy, and `attnscope export --capture` of the long map view.
  add_test(NAME long_map_gguf_2048
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reference/long_map_gguf_2048.py $<TARGET_FILE:attnscope>
                   ${CMAKE_CURRENT_BINARY_DIR}/long_map_gguf_2048 ${ATTNSCOPE_MODELS_DIR})
  set_tests_properties(long_map_gguf_2048 PROPERTIES LABELS "long;reference;cli" TIMEOUT 120)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the long-sequence reference test is not registered")
endif()
