# llama2.c checks: the NumPy reference forward pass against `attnscope model capture`, and the CLI's greedy
# generation compared byte for byte with greedy_reference.txt, all from ATTNSCOPE_MODELS_DIR (found by the top-level
# CMakeLists.txt). A missing model FAILS (never skips), as ../shared/models/PROVENANCE.md asks.
set(ATTNSCOPE_LLAMA_MODELS ${ATTNSCOPE_MODELS_DIR})

add_test(NAME llama_reference_forward
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/llama_reference.py $<TARGET_FILE:attnscope>
                 ${ATTNSCOPE_LLAMA_MODELS}/stories260K.bin ${ATTNSCOPE_LLAMA_MODELS}/tok512.bin
                 ${CMAKE_CURRENT_BINARY_DIR}/llama_reference)
set_tests_properties(llama_reference_forward PROPERTIES LABELS "llama;reference" TIMEOUT 120)

add_test(NAME llama_cli_greedy_reference
         COMMAND sh -c "for f in \"$1\" \"$2\" \"$3\"; do test -f \"$f\" || { echo \"missing model file $f (set ATTNSCOPE_MODELS_DIR to the folder of the shared model files)\"; exit 1; }; done; \"$0\" model generate \"$1\" --tokenizer \"$2\" --temperature 0 --steps 512 > \"$4\" && cmp \"$4\" \"$3\" && echo 'greedy output is byte-identical to greedy_reference.txt'"
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_LLAMA_MODELS}/stories260K.bin ${ATTNSCOPE_LLAMA_MODELS}/tok512.bin
                 ${ATTNSCOPE_LLAMA_MODELS}/greedy_reference.txt ${CMAKE_CURRENT_BINARY_DIR}/llama_greedy_output.txt)
set_tests_properties(llama_cli_greedy_reference PROPERTIES LABELS "llama;cli" TIMEOUT 60)

# The tokenizer is found next to the model when --tokenizer is omitted, and the CLI says which one it used.
add_test(NAME llama_cli_tokenizer_discovery
         COMMAND $<TARGET_FILE:attnscope> model generate ${ATTNSCOPE_LLAMA_MODELS}/stories260K.bin --temperature 0
                 --steps 20)
set_tests_properties(llama_cli_tokenizer_discovery PROPERTIES LABELS "llama;cli" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "using tokenizer .*tok512.bin")

add_test(NAME llama_cli_info
         COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_LLAMA_MODELS}/stories260K.bin)
set_tests_properties(llama_cli_info PROPERTIES LABELS "llama;cli" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "layers: +5\n.*8 query, 4 key/value.*wk +F32 +\\[5, 32, 64\\]")

# Errors are one line on stderr and exit code 1; the tokenizer is not a checkpoint.
add_test(NAME llama_cli_rejects_non_checkpoint
         COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_LLAMA_MODELS}/tok512.bin)
set_tests_properties(llama_cli_rejects_non_checkpoint PROPERTIES LABELS "llama;cli" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "attnscope: error: .*tok512.bin: invalid llama2.c header")

# `attnscope model heads`: every head's sink share, previous-token and induction scores, distance, entropy, norms and
# CT divergence against a NumPy recomputation from the llama2.c forward of llama_reference.py.
add_test(NAME llama_head_metrics_reference
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/head_metrics_reference.py
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_LLAMA_MODELS}/stories260K.bin
                 ${ATTNSCOPE_LLAMA_MODELS}/tok512.bin ${CMAKE_CURRENT_BINARY_DIR}/head_metrics_reference)
set_tests_properties(llama_head_metrics_reference PROPERTIES LABELS "llama;reference" TIMEOUT 120)
