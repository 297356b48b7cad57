# GGUF module: the reader and GGUF llama models against tests/reference/gguf_reference.py (an independent NumPy
# writer, quantiser and dequantiser; fixtures written at test time from fixed seeds) and the real stories260K files.
set(ATTNSCOPE_GGUF_FIXTURES ${CMAKE_CURRENT_BINARY_DIR}/gguf_fixtures)
add_test(NAME gguf_reference_fixtures
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/gguf_reference.py fixtures
                 ${ATTNSCOPE_GGUF_FIXTURES} ${ATTNSCOPE_MODELS_DIR})
set_tests_properties(gguf_reference_fixtures PROPERTIES FIXTURES_SETUP gguf_fixtures LABELS "gguf;reference"
                     TIMEOUT 120)

add_executable(gguf_tests ${CMAKE_CURRENT_SOURCE_DIR}/gguf/gguf_test.cpp)
target_link_libraries(gguf_tests PRIVATE attnscope_core GTest::gtest_main)
target_compile_definitions(gguf_tests PRIVATE ATTNSCOPE_GGUF_FIXTURES="${ATTNSCOPE_GGUF_FIXTURES}"
                                              ATTNSCOPE_MODELS_DIR="${ATTNSCOPE_MODELS_DIR}")
gtest_discover_tests(gguf_tests DISCOVERY_TIMEOUT 60 PROPERTIES FIXTURES_REQUIRED gguf_fixtures LABELS gguf)

# The command line on the real GGUF file: greedy text byte-identical to greedy_reference.txt through the embedded
# vocabulary (no --tokenizer), and `model info` naming the tensor types.
add_test(NAME gguf_cli_greedy_reference
         COMMAND sh -c "for f in \"$1\" \"$2\"; do test -f \"$f\" || { echo \"missing model file $f (set ATTNSCOPE_MODELS_DIR to the folder of the shared model files)\"; exit 1; }; done; \"$0\" model generate \"$1\" --temperature 0 --steps 512 > \"$3\" && cmp \"$3\" \"$2\" && echo 'greedy output is byte-identical to greedy_reference.txt'"
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_MODELS_DIR}/gguf/stories260K.gguf
                 ${ATTNSCOPE_MODELS_DIR}/greedy_reference.txt ${CMAKE_CURRENT_BINARY_DIR}/gguf_greedy_output.txt)
set_tests_properties(gguf_cli_greedy_reference PROPERTIES LABELS "gguf;cli" TIMEOUT 60)

add_test(NAME gguf_cli_info_q8_0
         COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_GGUF_FIXTURES}/stories260K_q8_0.gguf)
set_tests_properties(gguf_cli_info_q8_0 PROPERTIES FIXTURES_REQUIRED gguf_fixtures LABELS "gguf;cli" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "format: +gguf\n.*tensor types: +Q8_0 \\(32\\), F32 \\(16\\)\n.*blk.0.attn_k.weight +Q8_0 +\\[32, 64\\]")
