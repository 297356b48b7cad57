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

# gpt2 GGUF files run the Hugging Face GPT-2 forward pass: hf_reference.py's GPT-2 folder converted to GGUF as
# llama.cpp's converter does (renamed tensors, Conv1D weights transposed, vocabulary embedded) must give the NumPy
# reference capture (same 1e-4 check as hf_cli_capture_gpt2), by token ids and by a prompt through the embedded
# vocabulary ("the cat" -> the merges Ġt+he... give the same ids as the folder's tokenizer.json).
add_test(NAME gguf_gpt2_fixture
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/gguf_reference.py gpt2
                 ${CMAKE_CURRENT_BINARY_DIR}/hf_reference/gpt2 ${ATTNSCOPE_GGUF_FIXTURES}/gpt2.gguf)
set_tests_properties(gguf_gpt2_fixture PROPERTIES FIXTURES_REQUIRED hf_reference FIXTURES_SETUP gguf_gpt2
                     LABELS "gguf;hf")
add_test(NAME gguf_cli_capture_gpt2
         COMMAND sh -c "\"$0\" model capture \"$1\" --token-ids 5,17,3,42,8,8,60,1,33 --out \"$2\" && shift 2 && \"$@\""
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_GGUF_FIXTURES}/gpt2.gguf ${ATTNSCOPE_GGUF_FIXTURES}/gpt2_cli.safetensors
                 ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py compare
                 ${CMAKE_CURRENT_BINARY_DIR}/hf_reference/gpt2_reference.safetensors
                 ${ATTNSCOPE_GGUF_FIXTURES}/gpt2_cli.safetensors)
set_tests_properties(gguf_cli_capture_gpt2 PROPERTIES FIXTURES_REQUIRED "hf_reference;gguf_gpt2" LABELS "gguf;cli")
add_test(NAME gguf_cli_gpt2_prompt
         COMMAND sh -c "\"$0\" model capture \"$1\" --prompt \" the cat\" --out \"$2\" && \"$3\" \"$4\" token_ids \"$2\""
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_GGUF_FIXTURES}/gpt2.gguf
                 ${ATTNSCOPE_GGUF_FIXTURES}/gpt2_prompt.safetensors ${DEBIAN_PYTHON3}
                 ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py)
# The folder's vocabulary: 256 byte tokens, then the merges Ġt (256), he (257), Ġthe (258), Ġc (259), at (260),
# Ġcat (261): " the cat" is two tokens.
set_tests_properties(gguf_cli_gpt2_prompt PROPERTIES FIXTURES_REQUIRED "hf_reference;gguf_gpt2" LABELS "gguf;cli"
                     PASS_REGULAR_EXPRESSION "token_ids \\[258,261\\]")
# A GPT-2 GGUF file generates through the key-value cache too (greedy ids = the full forward's argmax).
add_test(NAME gguf_cli_generate_gpt2
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_generate_check.py $<TARGET_FILE:attnscope>
                 ${ATTNSCOPE_GGUF_FIXTURES}/gpt2.gguf ${ATTNSCOPE_GGUF_FIXTURES}/generate)
set_tests_properties(gguf_cli_generate_gpt2 PROPERTIES FIXTURES_REQUIRED "hf_reference;gguf_gpt2" LABELS "gguf;cli")

# gptneox files run GptNeoxModel, and qwen2, qwen3, phi3, olmo2, gemma, gemma2 and gemma3 files LlamaModel, through llama.cpp's
# tensor names: hf_reference.py's folders
# converted as llama.cpp's converter does (renamed, q/k unpermuted for these NEOX-rotary families, Gemma's norms stored
# as 1 + w) must give the folders' NumPy reference captures (1e-4), and generate through the key-value cache. gemma2
# uses the gemma2_hd folder: llama.cpp scales Gemma 2's scores by 1/sqrt(key_length) (query_pre_attn_scalar is not
# in GGUF files).
foreach(family gptneox qwen2 qwen3 phi3 olmo2 gemma gemma2 gemma3)
  set(folder ${family})
  if(family STREQUAL "gptneox")
    set(folder gpt_neox)  # query_key_value de-interleaved by the converter, interleaved back by attnscope
  elseif(family STREQUAL "gemma2")
    set(folder gemma2_hd)
  elseif(family STREQUAL "gemma3")
    set(folder gemma3_t4)  # llama.cpp hard-codes Gemma 3's pattern 6 and local RoPE base 10000
  endif()
  add_test(NAME gguf_${family}_fixture
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/gguf_reference.py ${family}
                   ${CMAKE_CURRENT_BINARY_DIR}/hf_reference/${folder} ${ATTNSCOPE_GGUF_FIXTURES}/${family}.gguf)
  set_tests_properties(gguf_${family}_fixture PROPERTIES FIXTURES_REQUIRED hf_reference FIXTURES_SETUP gguf_${family}
                       LABELS "gguf;hf")
  add_test(NAME gguf_cli_capture_${family}
           COMMAND sh -c "\"$0\" model capture \"$1\" --token-ids 5,17,3,42,8,8,60,1,33 --out \"$2\" && shift 2 && \"$@\""
                   $<TARGET_FILE:attnscope> ${ATTNSCOPE_GGUF_FIXTURES}/${family}.gguf
                   ${ATTNSCOPE_GGUF_FIXTURES}/${family}_cli.safetensors
                   ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py compare
                   ${CMAKE_CURRENT_BINARY_DIR}/hf_reference/${folder}_reference.safetensors
                   ${ATTNSCOPE_GGUF_FIXTURES}/${family}_cli.safetensors)
  set_tests_properties(gguf_cli_capture_${family} PROPERTIES FIXTURES_REQUIRED "hf_reference;gguf_${family}"
                       LABELS "gguf;cli")
  add_test(NAME gguf_cli_generate_${family}
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_generate_check.py
                   $<TARGET_FILE:attnscope> ${ATTNSCOPE_GGUF_FIXTURES}/${family}.gguf
                   ${ATTNSCOPE_GGUF_FIXTURES}/generate_${family})
  set_tests_properties(gguf_cli_generate_${family} PROPERTIES FIXTURES_REQUIRED "hf_reference;gguf_${family}"
                       LABELS "gguf;cli")
endforeach()
