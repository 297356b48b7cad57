# Tests of the export module (issue 5 beyond the basic PNG): SVG/CSV/.npy/sweep frames and golden images. Headless:
# EGL surfaceless, DISPLAY cleared to prove no X server is needed.
if(ATTNSCOPE_BUILD_GUI)
  file(GLOB ATTNSCOPE_EXPORT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../export/*_test.cpp)
  add_executable(export_tests ${ATTNSCOPE_EXPORT_TEST_SOURCES})
  target_link_libraries(export_tests PRIVATE attnscope_gui GTest::gtest_main)
  gtest_discover_tests(export_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "export;gui" ENVIRONMENT "DISPLAY=")

  # Golden images, SVG, data against NumPy, frames, failures. Rendered images and diff images land in the build dir.
  add_test(NAME export_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../export/export_test.sh $<TARGET_FILE:attnscope>
                                   ${DEBIAN_PYTHON3} ${CMAKE_BINARY_DIR}/export-test-output)
  set_tests_properties(export_cli PROPERTIES LABELS "export;gui" ENVIRONMENT "DISPLAY=" TIMEOUT 600)
endif()

if(ATTNSCOPE_BUILD_GUI)
  # The File menu's exports through the real window (own Xvfb, xdotool).
  add_test(NAME export_menu_xdotool COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../export/menu_export_test.sh
                                            $<TARGET_FILE:attnscope> ${DEBIAN_PYTHON3})
  set_tests_properties(export_menu_xdotool PROPERTIES LABELS "export;gui" TIMEOUT 300 RUN_SERIAL TRUE)
endif()
