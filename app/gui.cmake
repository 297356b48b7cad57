# The desktop app and its headless twin (included by app/CMakeLists.txt when ATTNSCOPE_BUILD_GUI is ON).
# Targets: attnscope_glad (generated GL 3.3 core + EGL 1.5 loader, the only owner of the generated files),
# attnscope_shaders (shaders/*.glsl embedded as C++ strings), attnscope_render (GL objects, EGL, PNG; no ImGui),
# attnscope_gui (ImGui shell, state, views, plotting), linked into `attnscope`. Scene JSON + PNG I/O and the Scene
# document are attnscope_scene_io (scene_io.cmake), which needs no GL.
find_package(PkgConfig REQUIRED)
pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
find_package(glfw3 3.3 REQUIRED)
find_program(ATTNSCOPE_GLAD glad PATHS /usr/bin REQUIRED)

# --- glad: generated offline at build time (--reproducible uses the specs bundled with python3-glad).
set(ATTNSCOPE_GLAD_DIR ${CMAKE_BINARY_DIR}/glad)
set(ATTNSCOPE_GLAD_EXTENSIONS
    EGL_EXT_platform_base,EGL_MESA_platform_surfaceless,EGL_EXT_platform_device,EGL_EXT_device_base,EGL_EXT_device_enumeration,EGL_KHR_surfaceless_context,EGL_KHR_no_config_context)
add_custom_command(
  OUTPUT ${ATTNSCOPE_GLAD_DIR}/src/gl.c ${ATTNSCOPE_GLAD_DIR}/src/egl.c ${ATTNSCOPE_GLAD_DIR}/include/glad/gl.h
         ${ATTNSCOPE_GLAD_DIR}/include/glad/egl.h
  COMMAND ${ATTNSCOPE_GLAD} --quiet --reproducible --api gl:core=3.3,egl=1.5 --extensions ${ATTNSCOPE_GLAD_EXTENSIONS}
          --out-path ${ATTNSCOPE_GLAD_DIR} c --loader
  COMMENT "Generating the GL 3.3 core + EGL 1.5 loader with glad"
  VERBATIM)
add_library(attnscope_glad STATIC ${ATTNSCOPE_GLAD_DIR}/src/gl.c ${ATTNSCOPE_GLAD_DIR}/src/egl.c)
target_include_directories(attnscope_glad SYSTEM PUBLIC ${ATTNSCOPE_GLAD_DIR}/include)
target_link_libraries(attnscope_glad PUBLIC ${CMAKE_DL_LIBS})
set_target_properties(attnscope_glad PROPERTIES POSITION_INDEPENDENT_CODE ON)

# --- shaders: every shaders/*.glsl becomes a named string in the binary; ATTNSCOPE_SHADER_DIR=<dir> at run time
# loads them from disk instead (edit-and-rerun while working on a shader).
file(GLOB ATTNSCOPE_SHADER_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/shaders/*.glsl)
set(ATTNSCOPE_EMBEDDED_SHADERS ${CMAKE_BINARY_DIR}/generated/embedded_shaders.cpp)
add_custom_command(
  OUTPUT ${ATTNSCOPE_EMBEDDED_SHADERS}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ATTNSCOPE_EMBEDDED_SHADERS} "-DINPUTS=${ATTNSCOPE_SHADER_FILES}" -P
          ${CMAKE_CURRENT_LIST_DIR}/embed_shaders.cmake
  DEPENDS ${ATTNSCOPE_SHADER_FILES} ${CMAKE_CURRENT_LIST_DIR}/embed_shaders.cmake
  COMMENT "Embedding shaders/*.glsl"
  VERBATIM)

# --- render layer: GL objects, colour-mapped textures, offscreen targets, EGL, PNG. No ImGui widgets.
file(GLOB ATTNSCOPE_RENDER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/render/*.cpp)
list(REMOVE_ITEM ATTNSCOPE_RENDER_SOURCES ${ATTNSCOPE_SCENE_IO_SOURCES})  # in attnscope_scene_io (scene_io.cmake)
add_library(attnscope_render STATIC ${ATTNSCOPE_RENDER_SOURCES} ${ATTNSCOPE_EMBEDDED_SHADERS})
target_include_directories(attnscope_render PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_definitions(attnscope_render PRIVATE ATTNSCOPE_SHADER_SOURCE_DIR="${PROJECT_SOURCE_DIR}/shaders")
target_link_libraries(attnscope_render PUBLIC attnscope_core attnscope_scene_io attnscope_glad PNG::PNG)

# --- GUI: the ImGui shell (window, headless frame, undo, menus, export), state, views and plotting.
# The plotting module (views helper) defines attnscope_plot in its own fragment.
include(${CMAKE_CURRENT_LIST_DIR}/plot/plot.cmake)
file(GLOB ATTNSCOPE_GUI_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/gui/*.cpp ${CMAKE_CURRENT_LIST_DIR}/views/*.cpp)
list(REMOVE_ITEM ATTNSCOPE_GUI_SOURCES ${ATTNSCOPE_SCENE_IO_SOURCES})
add_library(attnscope_gui STATIC ${ATTNSCOPE_GUI_SOURCES})
target_include_directories(attnscope_gui PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_definitions(attnscope_gui PUBLIC GLFW_INCLUDE_NONE)
# "Open example model" falls back to the models folder found at configure time (top-level CMakeLists.txt); only
# model_session.cpp sees it, so a different folder rebuilds one file.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gui/model_session.cpp PROPERTIES COMPILE_DEFINITIONS
                            ATTNSCOPE_MODELS_DIR="${ATTNSCOPE_MODELS_DIR}")
target_link_libraries(attnscope_gui PUBLIC attnscope_render attnscope_plot PkgConfig::IMGUI glfw CLI11::CLI11
                                           nlohmann_json::nlohmann_json)

# GUI-only subcommands (export) register themselves from static initialisers in attnscope_gui: link the whole
# archive so the linker keeps those objects although nothing references them by name.
target_link_libraries(attnscope PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,attnscope_gui>")
target_compile_definitions(attnscope PRIVATE ATTNSCOPE_HAVE_GUI)
