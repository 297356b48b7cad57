# Tests of the app shell, state, render layer and export (owned by the gui module). Everything here runs with no
# X server (EGL surfaceless) except the end-to-end test, which starts its own Xvfb.
if(ATTNSCOPE_BUILD_GUI)
  file(GLOB ATTNSCOPE_GUI_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../gui/*_test.cpp)
  add_executable(gui_tests ${ATTNSCOPE_GUI_TEST_SOURCES})
  target_link_libraries(gui_tests PRIVATE attnscope_gui GTest::gtest_main)
  target_compile_definitions(gui_tests PRIVATE ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # DISPLAY is cleared so the headless tests prove they need no X server.
  gtest_discover_tests(gui_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS gui ENVIRONMENT "DISPLAY=")

  add_test(NAME gui_export_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../gui/export_cli_test.sh
                                       $<TARGET_FILE:attnscope> ${DEBIAN_PYTHON3})
  set_tests_properties(gui_export_cli PROPERTIES LABELS gui ENVIRONMENT "DISPLAY=" TIMEOUT 300)

  add_test(NAME gui_end_to_end_xdotool COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../gui/end_to_end_test.sh
                                               $<TARGET_FILE:attnscope> ${DEBIAN_PYTHON3})
  set_tests_properties(gui_end_to_end_xdotool PROPERTIES LABELS gui TIMEOUT 300 RUN_SERIAL TRUE)
endif()
