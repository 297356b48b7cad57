# Tests of real models inside the app (modelapp module): the model session, the scene bridge and the model explorer
# rendered headless (EGL, DISPLAY cleared), plus `attnscope export` of a model scene. Need ATTNSCOPE_MODELS_DIR
# (top-level CMakeLists.txt).
if(ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  add_executable(modelapp_tests ${CMAKE_CURRENT_LIST_DIR}/../modelapp/model_explorer_test.cpp)
  target_link_libraries(modelapp_tests PRIVATE attnscope_gui GTest::gtest_main)
  target_compile_definitions(modelapp_tests PRIVATE ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                    ATTNSCOPE_MODELS_DIR="${ATTNSCOPE_MODELS_DIR}"
                                                    ATTNSCOPE_CLI="$<TARGET_FILE:attnscope>")
  add_dependencies(modelapp_tests attnscope)  # the CSV export is compared with `attnscope model heads --csv`
  gtest_discover_tests(modelapp_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "modelapp;gui" ENVIRONMENT
                       "DISPLAY=;ATTNSCOPE_NO_PERSIST=1")

  add_test(NAME modelapp_export_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../modelapp/model_export_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3} ${ATTNSCOPE_MODELS_DIR}/stories260K.bin)
  set_tests_properties(modelapp_export_cli PROPERTIES LABELS "modelapp;gui" ENVIRONMENT "DISPLAY=" TIMEOUT 300)
endif()

# Real X input under Xvfb (needs xvfb and xdotool): open the example model, pick a head and a token by clicking.
if(ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  add_test(NAME modelapp_end_to_end_xdotool
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../modelapp/model_end_to_end_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3} ${CMAKE_BINARY_DIR}/modelapp_end_to_end.png)
  # The app's "Open example model" reads ATTNSCOPE_MODELS_DIR first (a clone in /tmp has no ../shared beside it).
  set_tests_properties(modelapp_end_to_end_xdotool PROPERTIES LABELS "modelapp;gui" TIMEOUT 300 RUN_SERIAL TRUE
                       ENVIRONMENT "ATTNSCOPE_MODELS_DIR=${ATTNSCOPE_MODELS_DIR}")
endif()

# The ranked list beside the statistic grid, by real X input: its first row selects the head `model heads --sort` ranks
# first.
if(ATTNSCOPE_BUILD_GUI AND TARGET attnscope_gui)
  add_test(NAME modelapp_ranked_heads_xdotool
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../modelapp/model_ranked_heads_test.sh $<TARGET_FILE:attnscope>
                   ${DEBIAN_PYTHON3})
  set_tests_properties(modelapp_ranked_heads_xdotool PROPERTIES LABELS "modelapp;gui" TIMEOUT 300 RUN_SERIAL TRUE
                       ENVIRONMENT "ATTNSCOPE_MODELS_DIR=${ATTNSCOPE_MODELS_DIR}")
endif()
