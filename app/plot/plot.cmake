# The plotting module (app/plot): ImDrawList plots shared by the views, the headless export and tests/app.
# Included by app/gui.cmake and by tests/cmake/views.cmake; whichever comes first defines the target.
if(NOT TARGET attnscope_plot)
  find_package(PkgConfig REQUIRED)
  if(NOT TARGET PkgConfig::ATTNSCOPE_PLOT_IMGUI)
    pkg_check_modules(ATTNSCOPE_PLOT_IMGUI REQUIRED IMPORTED_TARGET GLOBAL imgui)
  endif()
  add_library(attnscope_plot STATIC ${CMAKE_CURRENT_LIST_DIR}/plot_math.cpp ${CMAKE_CURRENT_LIST_DIR}/plot.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/paint.cpp)
  target_include_directories(attnscope_plot PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(attnscope_plot PUBLIC PkgConfig::ATTNSCOPE_PLOT_IMGUI)
endif()
