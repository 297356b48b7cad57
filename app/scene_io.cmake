# attnscope_scene_io: the GL-free part of the app that reads and writes scene files, i.e. the Scene document
# (gui/scene.cpp), scene JSON (gui/scene_io.cpp) and PNG with text metadata (render/png_io.cpp). Built with or
# without the GUI so that the GUI-less fuzz build can fuzz scene loading (tests/cmake/fuzz.cmake); attnscope_render
# and attnscope_gui link it instead of compiling these files themselves.
set(ATTNSCOPE_SCENE_IO_SOURCES ${CMAKE_CURRENT_LIST_DIR}/gui/scene.cpp ${CMAKE_CURRENT_LIST_DIR}/gui/scene_io.cpp
                               ${CMAKE_CURRENT_LIST_DIR}/render/png_io.cpp)
add_library(attnscope_scene_io STATIC ${ATTNSCOPE_SCENE_IO_SOURCES})
target_include_directories(attnscope_scene_io PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(attnscope_scene_io PUBLIC attnscope_core nlohmann_json::nlohmann_json PNG::PNG)
