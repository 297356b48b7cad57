# hf module: NumPy cross-checks of the Hugging Face forward passes and of tools/write_capture.py capture files.
add_executable(hf_reference_check ${CMAKE_CURRENT_SOURCE_DIR}/hf/hf_reference_check.cpp)
target_link_libraries(hf_reference_check PRIVATE attnscope_core)

set(ATTNSCOPE_HF_REFERENCE_DIR ${CMAKE_CURRENT_BINARY_DIR}/hf_reference)
set(ATTNSCOPE_HF_REFERENCE ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py)
add_test(NAME hf_reference_generate COMMAND ${ATTNSCOPE_HF_REFERENCE} generate ${ATTNSCOPE_HF_REFERENCE_DIR})
set_tests_properties(hf_reference_generate PROPERTIES FIXTURES_SETUP hf_reference LABELS hf)

foreach(model gpt2 bert llama llama3 qwen2 mistral qwen3 phi3 gpt_neox olmo2 gemma gemma2 gemma3 gemma3_t4)
  set(reference ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_reference.safetensors)
  # Engine vs reference, compared in C++ (reading the numpy-written capture through openModel) ...
  add_test(NAME hf_reference_${model}
           COMMAND hf_reference_check ${ATTNSCOPE_HF_REFERENCE_DIR}/${model} ${reference}
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_engine.safetensors)
  set_tests_properties(hf_reference_${model} PROPERTIES FIXTURES_REQUIRED hf_reference
                       FIXTURES_SETUP hf_engine_${model} LABELS hf)
  # ... in Python (reading the capture file attnscope wrote with an independent reader) ...
  add_test(NAME hf_reference_${model}_python
           COMMAND ${ATTNSCOPE_HF_REFERENCE} compare ${reference} ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_engine.safetensors)
  set_tests_properties(hf_reference_${model}_python PROPERTIES FIXTURES_REQUIRED "hf_reference;hf_engine_${model}"
                       LABELS hf)
  # ... and through the command line: `attnscope model capture` on the model folder.
  add_test(NAME hf_cli_capture_${model}
           COMMAND sh -c "\"$0\" model capture \"$1\" --token-ids 5,17,3,42,8,8,60,1,33 --out \"$2\" && shift 2 && \"$@\""
                   $<TARGET_FILE:attnscope> ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_cli.safetensors
                   ${ATTNSCOPE_HF_REFERENCE} compare ${reference} ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_cli.safetensors)
  set_tests_properties(hf_cli_capture_${model} PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli")
endforeach()

# A prompt goes through the folder's tokenizer.json (byte-level BPE): "the cat" -> t, he, Ġcat = 116, 257, 261.
add_test(NAME hf_cli_capture_prompt
         COMMAND sh -c "\"$0\" model capture \"$1\" --prompt 'the cat' --out \"$2\" && shift 2 && \"$@\""
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_HF_REFERENCE_DIR}/gpt2 ${ATTNSCOPE_HF_REFERENCE_DIR}/prompt.safetensors
                 ${ATTNSCOPE_HF_REFERENCE} token_ids ${ATTNSCOPE_HF_REFERENCE_DIR}/prompt.safetensors)
set_tests_properties(hf_cli_capture_prompt PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "token_ids \\[116,257,261\\]")

add_test(NAME hf_cli_info_llama COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/llama)
set_tests_properties(hf_cli_info_llama PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION
                     "architecture: +llama.*4 query, 2 key/value.*rotary.*q_proj.weight +BF16 +\\[32, 32\\]")

# tools/write_capture.py's own example opens in attnscope (uniform causal attention, 3 tokens).
add_test(NAME hf_write_capture_example
         COMMAND sh -c "\"$0\" \"$1\" \"$2\" && \"$3\" model info \"$2\""
                 ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tools/write_capture.py
                 ${CMAKE_CURRENT_BINARY_DIR}/write_capture_example.safetensors $<TARGET_FILE:attnscope>)
set_tests_properties(hf_write_capture_example PROPERTIES LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "format: +capture.*layers: +1.*attn +F32 +\\[1, 1, 3, 3\\]")

# model info says what differs in the Llama family's variants (and so what the views show).
add_test(NAME hf_cli_info_qwen3 COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/qwen3)
set_tests_properties(hf_cli_info_qwen3 PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION
                     "architecture: +qwen3.*rotary \\(RoPE\\), QK-norm \\(q/k shown after the norm.*q_norm.weight")
add_test(NAME hf_cli_info_mistral COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/mistral)
set_tests_properties(hf_cli_info_mistral PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "architecture: +mistral.*sliding window 4, kernel dpa")

# `model generate` through the key-value cache: greedy ids equal the full forward's argmax at every step.
foreach(model gpt2 llama qwen2 mistral qwen3 phi3 gpt_neox olmo2 gemma gemma2 gemma3 gemma3_t4)
  add_test(NAME hf_cli_generate_${model}
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_generate_check.py $<TARGET_FILE:attnscope>
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model} ${ATTNSCOPE_HF_REFERENCE_DIR}/generate)
  set_tests_properties(hf_cli_generate_${model} PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli")
endforeach()
add_test(NAME hf_cli_generate_refuses_encoder
         COMMAND $<TARGET_FILE:attnscope> model generate ${ATTNSCOPE_HF_REFERENCE_DIR}/bert --token-ids 5,17)
set_tests_properties(hf_cli_generate_refuses_encoder PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "attnscope: error: .*bert is a bert safetensors model, which does not generate")

# `model heads` fits its induction sequence into a short context: 16 positions give a period of 8 (not the default 32).
add_test(NAME hf_cli_heads_short_context
         COMMAND $<TARGET_FILE:attnscope> model heads ${ATTNSCOPE_HF_REFERENCE_DIR}/gpt2 --token-ids 5,17,3)
set_tests_properties(hf_cli_heads_short_context PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "induction sequence \\(seed 1, period 8\\):[ 0-9]+\n *layer +head")

# model info says which Gemma layers are local and that the captured weights are those of the soft-capped scores.
add_test(NAME hf_cli_info_gemma2 COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/gemma2)
set_tests_properties(hf_cli_info_gemma2 PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION
                     "architecture: +gemma2.*sliding window 4 on layers 0,2 \\(the others global\\), scores soft-capped at 5 \\(weights are the softmax of the capped scores\\)")
add_test(NAME hf_cli_info_gemma3 COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/gemma3)
set_tests_properties(hf_cli_info_gemma3 PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION
                     "architecture: +gemma3_text.*QK-norm \\(q/k shown after the norm.*sliding window 4 on layers 0,1 \\(the others global\\), kernel dpa")
