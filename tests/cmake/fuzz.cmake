# Reliability module (issue 7): fuzzing of every loader.
# - Normal build (any compiler): fuzz_corpus_tests replays tests/fuzz/corpus/<target>/* through the loaders.
# - ATTNSCOPE_FUZZ=ON (clang only, separate build dir; tools/fuzz.sh does it): one libFuzzer executable per loader,
#   fuzz_<target>, plus a short CTest smoke run of each.
option(ATTNSCOPE_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang and libclang-rt-14-dev)." OFF)

set(ATTNSCOPE_FUZZ_TARGETS npy npz safetensors llama2c gguf llama2c_tokenizer hf_tokenizer spm_tokenizer_json
                           gguf_tokenizer hf_config capture scene_json png_scene)
set(ATTNSCOPE_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)

add_library(attnscope_fuzz_targets STATIC ${ATTNSCOPE_FUZZ_DIR}/fuzz_targets.cpp)
# attnscope_scene_io (app/scene_io.cmake) is built with or without the GUI: scene JSON and PNG metadata loading.
target_link_libraries(attnscope_fuzz_targets PUBLIC attnscope_core attnscope_scene_io)

add_executable(fuzz_corpus_tests ${ATTNSCOPE_FUZZ_DIR}/corpus_regression_test.cpp
                                 ${ATTNSCOPE_FUZZ_DIR}/loader_fixes_test.cpp)
target_link_libraries(fuzz_corpus_tests PRIVATE attnscope_fuzz_targets GTest::gtest_main)
target_compile_definitions(fuzz_corpus_tests PRIVATE ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(fuzz_corpus_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "reliab;fuzz_corpus")

if(ATTNSCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ATTNSCOPE_FUZZ needs clang: configure with CC=clang CXX=clang++ (tools/fuzz.sh does)")
  endif()
  # Coverage instrumentation for everything the loaders run; ASan+UBSan come from ATTNSCOPE_SANITIZE, which
  # tools/fuzz.sh switches on together with this option.
  target_compile_options(attnscope_core PRIVATE -fsanitize=fuzzer-no-link)
  target_compile_options(attnscope_scene_io PRIVATE -fsanitize=fuzzer-no-link)
  target_compile_options(attnscope_fuzz_targets PRIVATE -fsanitize=fuzzer-no-link)
  # Fixed, so the gate is deterministic; -D overrides either for a longer local run.
  if(NOT DEFINED ATTNSCOPE_FUZZ_SMOKE_SEED)
    set(ATTNSCOPE_FUZZ_SMOKE_SEED 20261206)
  endif()
  # 10,000 executions per target: about 5 s each on the sanitizer build of an idle machine, reproducible run to run
  # (tests/fuzz/fuzz_smoke.sh says how); 0 replays the committed corpus only.
  if(NOT DEFINED ATTNSCOPE_FUZZ_SMOKE_RUNS)
    set(ATTNSCOPE_FUZZ_SMOKE_RUNS 10000)
  endif()
  foreach(target ${ATTNSCOPE_FUZZ_TARGETS})
    add_executable(fuzz_${target} ${ATTNSCOPE_FUZZ_DIR}/fuzz_main.cpp)
    target_compile_definitions(fuzz_${target} PRIVATE ATTNSCOPE_FUZZ_TARGET="${target}")
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${target} PRIVATE attnscope_fuzz_targets)
    # Smoke: a fixed number of executions from a fixed seed (tests/fuzz/fuzz_smoke.sh), so that CI is deterministic:
    # the same seed, corpus and execution count every time, and the same inputs executed.
    add_test(NAME fuzz_smoke_${target}
             COMMAND bash ${ATTNSCOPE_FUZZ_DIR}/fuzz_smoke.sh ${PROJECT_BINARY_DIR} $<TARGET_FILE:fuzz_${target}>
                     ${CMAKE_CURRENT_BINARY_DIR}/fuzz_smoke_${target} ${ATTNSCOPE_FUZZ_DIR}/corpus/${target}
                     ${ATTNSCOPE_FUZZ_SMOKE_SEED} ${ATTNSCOPE_FUZZ_SMOKE_RUNS})
    set_tests_properties(fuzz_smoke_${target} PROPERTIES LABELS "reliab;fuzz_smoke" TIMEOUT 300
                                                         ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1")
  endforeach()
endif()
