# Tests of the plotting module and the views (owned by the views module).
if(ATTNSCOPE_BUILD_GUI)
  include(${PROJECT_SOURCE_DIR}/app/plot/plot.cmake)
  # Pure plotting maths and draw-list geometry: no GL, no display.
  add_executable(plot_tests ${CMAKE_CURRENT_LIST_DIR}/../app/plot_test.cpp)
  target_link_libraries(plot_tests PRIVATE attnscope_plot GTest::gtest_main)
  gtest_discover_tests(plot_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS views)

  # Views rendered headless (EGL offscreen) through the export render path; pixels checked against the colour map.
  if(TARGET attnscope_gui)
    add_executable(views_pixel_tests ${CMAKE_CURRENT_LIST_DIR}/../app/views_pixel_test.cpp)
    target_link_libraries(views_pixel_tests PRIVATE attnscope_gui GTest::gtest_main)
    gtest_discover_tests(views_pixel_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "views;gui")

    # The long map view (README "Long sequences"): its state object (viewport clamping, which captures open there,
    # exact hover weights) and headless renders of a planted 8,192-token capture without attention.
    add_executable(long_map_view_tests ${CMAKE_CURRENT_LIST_DIR}/../app/long_map_view_test.cpp)
    target_link_libraries(long_map_view_tests PRIVATE attnscope_gui GTest::gtest_main)
    gtest_discover_tests(long_map_view_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "views;gui;long")

    # The sweep's optional kernels (MLK, cosine) through `attnscope export`: PNG, SVG and sweep.csv vs NumPy.
    add_test(NAME views_export_sweep_kernels
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../app/export_sweep_kernels_test.sh $<TARGET_FILE:attnscope>
                     ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/../gui/png_text.py)
    set_tests_properties(views_export_sweep_kernels PROPERTIES LABELS "views;gui" ENVIRONMENT "DISPLAY=" TIMEOUT 120)
  endif()
endif()
