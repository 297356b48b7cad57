# No lost work + random-input GUI run (autosave module, issue 7): atomic saves and the autosave session's marker
# logic without a display; kill -9 and restore of the real window under its own Xvfb; a 60 s seeded monkey run.
if(ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  file(GLOB ATTNSCOPE_AUTOSAVE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../autosave/*_test.cpp)
  add_executable(autosave_tests ${ATTNSCOPE_AUTOSAVE_TEST_SOURCES})
  target_link_libraries(autosave_tests PRIVATE attnscope_gui GTest::gtest_main)
  gtest_discover_tests(autosave_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "autosave;gui" ENVIRONMENT "DISPLAY=")

  add_test(NAME autosave_kill9_restore_xvfb
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../autosave/kill9_restore_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3})
  set_tests_properties(autosave_kill9_restore_xvfb PROPERTIES LABELS "autosave;gui" TIMEOUT 300 RUN_SERIAL TRUE)

  # The heartbeat the monkey relies on (SIGUSR1 -> state dump) at 148x112, 1x1 and unmapped: none may be lost.
  add_test(NAME autosave_monkey_heartbeat_xvfb
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../autosave/monkey_heartbeat_xvfb_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3})
  set_tests_properties(autosave_monkey_heartbeat_xvfb PROPERTIES LABELS "autosave;gui;monkey" TIMEOUT 300
                       RUN_SERIAL TRUE)

  # In a sanitized tree (tools/sanitize.sh) this binary is the ASan + UBSan build and the run fails on any sanitizer
  # report, leaks included; there it is on by default. In a normal tree it would still catch crashes and hangs, but the
  # minute is better spent once, on the sanitizer build (CI: tools/ci_sanitize.sh runs tools/monkey.sh directly).
  # (The heartbeat stall of an earlier 10-minute run was a lost SIGUSR1, fixed: monkey_heartbeat_* tests.)
  option(ATTNSCOPE_MONKEY_TEST "Register the 60 s random-input GUI run (tools/monkey.sh) with CTest"
         ${ATTNSCOPE_SANITIZE})
  if(ATTNSCOPE_MONKEY_TEST)
    add_test(NAME gui_monkey_60s COMMAND bash ${PROJECT_SOURCE_DIR}/tools/monkey.sh 60 $<TARGET_FILE:attnscope>)
    # The timeout leaves room for the script's own limits (scaled up to 4x with the load), so a hang is reported by
    # the script, with the seed, the last actions and the stacks, rather than cut off by CTest.
    set_tests_properties(gui_monkey_60s PROPERTIES LABELS "autosave;gui;monkey" TIMEOUT 900 RUN_SERIAL TRUE
                         ENVIRONMENT "MONKEY_SEED=20261121")
  endif()
endif()
