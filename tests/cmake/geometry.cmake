# Geometry module: NumPy cross-check of cosines, joint PCA, entropy, rank and the Gaussian-key density field.
add_executable(geometry_reference_tool ${CMAKE_CURRENT_SOURCE_DIR}/reference/geometry_reference_tool.cpp)
target_link_libraries(geometry_reference_tool PRIVATE attnscope_core)
add_test(NAME geometry_numpy_reference
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/geometry_reference.py
                 --tool $<TARGET_FILE:geometry_reference_tool>
                 --workdir ${CMAKE_CURRENT_BINARY_DIR}/geometry_reference)
set_tests_properties(geometry_numpy_reference PROPERTIES LABELS "core;reference" TIMEOUT 120)
