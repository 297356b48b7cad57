# The Train workspace (issue 15): its controller (app/gui/train_session.h) driven GL-free, compared with
# `attnscope train`'s log for the same options; the view and workspace rendered headless (EGL, DISPLAY cleared).
if(ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  file(GLOB ATTNSCOPE_TRAINWS_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../trainws/*_test.cpp)
  add_executable(trainws_tests ${ATTNSCOPE_TRAINWS_TEST_SOURCES})
  target_link_libraries(trainws_tests PRIVATE attnscope_gui GTest::gtest_main)
  target_compile_definitions(trainws_tests PRIVATE ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                   ATTNSCOPE_BINARY="$<TARGET_FILE:attnscope>")
  add_dependencies(trainws_tests attnscope)
  gtest_discover_tests(trainws_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "trainws;gui" ENVIRONMENT
                       "DISPLAY=;ATTNSCOPE_NO_PERSIST=1")
endif()
