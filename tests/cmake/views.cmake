# Tests of the plotting module and the views (owned by the views module).
if(ATTNSCOPE_BUILD_GUI)
  include(${PROJECT_SOURCE_DIR}/app/plot/plot.cmake)
  add_executable(plot_tests ${CMAKE_CURRENT_LIST_DIR}/../app/plot_test.cpp)
  target_link_libraries(plot_tests PRIVATE attnscope_plot GTest::gtest_main)
  gtest_discover_tests(plot_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS views)
endif()
