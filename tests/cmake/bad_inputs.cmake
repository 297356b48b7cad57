# Reliability module (issue 7): every row of tests/bad_inputs.md run against the real CLI (exit code + exact message).
if(DEBIAN_PYTHON3)
  add_test(NAME reliab_bad_inputs
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reliab/bad_inputs.py $<TARGET_FILE:attnscope>
                   ${CMAKE_CURRENT_BINARY_DIR}/reliab_bad_inputs)
  set_tests_properties(reliab_bad_inputs PROPERTIES LABELS "reliab;cli" TIMEOUT 300)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the bad-input table test is not registered")
endif()
