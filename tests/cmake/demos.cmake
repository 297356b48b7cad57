# Teaching demos (issue 6, demos module): claims of every step checked by the core, and every step exported
# headless (EGL, no DISPLAY) to a PNG that must be valid and not blank.
if(ATTNSCOPE_BUILD_GUI)
  add_executable(demo_tests ${CMAKE_CURRENT_LIST_DIR}/../demos/demo_claims_test.cpp
                            ${CMAKE_CURRENT_LIST_DIR}/../demos/demo_model_heads_test.cpp)
  target_link_libraries(demo_tests PRIVATE attnscope_gui GTest::gtest_main)
  target_compile_definitions(demo_tests PRIVATE ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                ATTNSCOPE_MODELS_DIR="${ATTNSCOPE_MODELS_DIR}")
  gtest_discover_tests(demo_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS demos ENVIRONMENT "DISPLAY=")

  add_test(NAME demos_export_every_step
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../demos/export_all_test.sh $<TARGET_FILE:attnscope> ${DEBIAN_PYTHON3}
                   ${PROJECT_SOURCE_DIR}/assets/demos)
  set_tests_properties(demos_export_every_step PROPERTIES LABELS demos ENVIRONMENT "DISPLAY=" TIMEOUT 600)
endif()

if(ATTNSCOPE_BUILD_GUI)
  add_test(NAME demos_presenter_xvfb
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../demos/presenter_xvfb_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/assets/demos)
  set_tests_properties(demos_presenter_xvfb PROPERTIES LABELS demos TIMEOUT 300 RUN_SERIAL TRUE)
endif()
