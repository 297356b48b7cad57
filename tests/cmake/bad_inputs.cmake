# Reliability module (issue 7): every row of tests/bad_inputs.md run against the real CLI (exit code + exact message).
if(DEBIAN_PYTHON3)
  add_test(NAME reliab_bad_inputs
           COMMAND ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reliab/bad_inputs.py $<TARGET_FILE:attnscope>
                   ${CMAKE_CURRENT_BINARY_DIR}/reliab_bad_inputs)
  set_tests_properties(reliab_bad_inputs PROPERTIES LABELS "reliab;cli" TIMEOUT 300)
else()
  message(WARNING "Debian's /usr/bin/python3 not found: the bad-input table test is not registered")
endif()

# The same table in the app: every row whose "app" cell is not "-" is opened through gui::openPath (File > Open, drag
# and drop) in a fresh app state; the banner must be that cell and the scene unchanged. The inputs come from a fixture.
if(DEBIAN_PYTHON3 AND ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  add_executable(app_bad_inputs_tests ${CMAKE_CURRENT_LIST_DIR}/../reliab/app_bad_inputs_test.cpp)
  target_link_libraries(app_bad_inputs_tests PRIVATE attnscope_gui GTest::gtest)
  set(ATTNSCOPE_APP_CASES ${CMAKE_CURRENT_BINARY_DIR}/reliab_app_bad_inputs)
  add_test(NAME reliab_app_bad_inputs_cases
           COMMAND ${DEBIAN_PYTHON3} -W ignore ${PROJECT_SOURCE_DIR}/tests/reliab/bad_inputs.py --app-cases
                   ${ATTNSCOPE_APP_CASES})
  set_tests_properties(reliab_app_bad_inputs_cases PROPERTIES LABELS "reliab" FIXTURES_SETUP app_bad_inputs)
  add_test(NAME reliab_app_bad_inputs COMMAND app_bad_inputs_tests ${ATTNSCOPE_APP_CASES}/app_cases.tsv)
  set_tests_properties(reliab_app_bad_inputs PROPERTIES LABELS "reliab;gui" FIXTURES_REQUIRED app_bad_inputs
                       ENVIRONMENT "DISPLAY=;ATTNSCOPE_NO_PERSIST=1;ATTNSCOPE_MEMORY_BUDGET_MB=" TIMEOUT 300)
endif()
