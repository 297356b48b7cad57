# Training lab (issue 14): PyTorch autograd recomputes the loss and every parameter gradient of seeded small models
# for every kernel and both alignment regularisers (tests/reference/train_reference.py, Debian python3-torch).
add_executable(train_reference_tool ${CMAKE_CURRENT_SOURCE_DIR}/reference/train_reference_tool.cpp)
target_link_libraries(train_reference_tool PRIVATE attnscope_core)
if(DEBIAN_PYTHON3)
  add_test(NAME train_torch_gradients
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/train_reference.py
                   --tool $<TARGET_FILE:train_reference_tool> --workdir ${CMAKE_CURRENT_BINARY_DIR}/train_reference)
  set_tests_properties(train_torch_gradients PROPERTIES LABELS "core;reference;train" TIMEOUT 300)
endif()
if(DEBIAN_PYTHON3)
  add_test(NAME train_cli COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/train_cli_test.py
                                  $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/train_cli)
  set_tests_properties(train_cli PROPERTIES LABELS "cli;train" TIMEOUT 300)
endif()
if(DEBIAN_PYTHON3)
  # `attnscope ladder` on a small seeded ladder: tables, chance, the figure (GUI builds) and bad options.
  set(ATTNSCOPE_LADDER_TEST_GUI "")
  if(ATTNSCOPE_BUILD_GUI)
    set(ATTNSCOPE_LADDER_TEST_GUI "--gui")
  endif()
  add_test(NAME train_ladder_cli
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/train_ladder_cli_test.py
                   $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/train_ladder_cli ${ATTNSCOPE_LADDER_TEST_GUI})
  set_tests_properties(train_ladder_cli PROPERTIES LABELS "cli;train" TIMEOUT 300)
endif()
