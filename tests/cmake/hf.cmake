# hf module: NumPy cross-checks of the Hugging Face forward passes and of tools/write_capture.py capture files.
add_executable(hf_reference_check ${CMAKE_CURRENT_SOURCE_DIR}/hf/hf_reference_check.cpp)
target_link_libraries(hf_reference_check PRIVATE attnscope_core)

set(ATTNSCOPE_HF_REFERENCE_DIR ${CMAKE_CURRENT_BINARY_DIR}/hf_reference)
add_test(NAME hf_reference_generate
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py generate ${ATTNSCOPE_HF_REFERENCE_DIR})
set_tests_properties(hf_reference_generate PROPERTIES FIXTURES_SETUP hf_reference LABELS hf)

foreach(model gpt2 bert llama)
  # Engine vs reference, compared in C++ (reading the numpy-written capture through openModel) ...
  add_test(NAME hf_reference_${model}
           COMMAND hf_reference_check ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_reference.safetensors
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_engine.safetensors)
  set_tests_properties(hf_reference_${model} PROPERTIES FIXTURES_REQUIRED hf_reference FIXTURES_SETUP hf_engine_${model}
                       LABELS hf)
  # ... and in Python (reading the capture file attnscope wrote with an independent reader).
  add_test(NAME hf_reference_${model}_python
           COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py compare
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_reference.safetensors
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_engine.safetensors)
  set_tests_properties(hf_reference_${model}_python PROPERTIES FIXTURES_REQUIRED "hf_reference;hf_engine_${model}" LABELS hf)
endforeach()

# The same comparison through the command line: `attnscope model capture` on each generated model folder.
foreach(model gpt2 bert llama)
  add_test(NAME hf_cli_capture_${model}
           COMMAND sh -c "\"$0\" model capture \"$1\" --token-ids 5,17,3,42,8,8,60,1,33 --out \"$3\" && \"$4\" \"$5\" compare \"$2\" \"$3\""
                   $<TARGET_FILE:attnscope> ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_reference.safetensors
                   ${ATTNSCOPE_HF_REFERENCE_DIR}/${model}_cli.safetensors
                   ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py)
  set_tests_properties(hf_cli_capture_${model} PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli")
endforeach()

# A prompt goes through the folder's tokenizer.json (byte-level BPE): "the cat" -> t, he, Ġcat = 116, 257, 261.
add_test(NAME hf_cli_capture_prompt
         COMMAND sh -c "\"$0\" model capture \"$1\" --prompt 'the cat' --out \"$2\" && \"$3\" -c \"import json,struct,sys; f=open(sys.argv[1],'rb'); n=struct.unpack('<Q',f.read(8))[0]; print('token_ids', json.loads(f.read(n))['__metadata__']['token_ids'])\" \"$2\""
                 $<TARGET_FILE:attnscope> ${ATTNSCOPE_HF_REFERENCE_DIR}/gpt2 ${ATTNSCOPE_HF_REFERENCE_DIR}/prompt.safetensors
                 ${DEBIAN_PYTHON3})
set_tests_properties(hf_cli_capture_prompt PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "token_ids \\[116,257,261\\]")

add_test(NAME hf_cli_info_llama COMMAND $<TARGET_FILE:attnscope> model info ${ATTNSCOPE_HF_REFERENCE_DIR}/llama)
set_tests_properties(hf_cli_info_llama PROPERTIES FIXTURES_REQUIRED hf_reference LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "architecture: +llama.*4 query, 2 key/value.*rotary.*q_proj.weight +BF16 +\\[32, 32\\]")

# tools/write_capture.py's own example opens in attnscope (uniform causal attention, 3 tokens).
add_test(NAME hf_write_capture_example
         COMMAND sh -c "\"$0\" \"$1\" \"$2\" && \"$3\" model info \"$2\""
                 ${DEBIAN_PYTHON3} ${PROJECT_SOURCE_DIR}/tools/write_capture.py
                 ${CMAKE_CURRENT_BINARY_DIR}/write_capture_example.safetensors $<TARGET_FILE:attnscope>)
set_tests_properties(hf_write_capture_example PROPERTIES LABELS "hf;cli"
                     PASS_REGULAR_EXPRESSION "format: +capture.*layers: +1.*attn +F32 +\\[1, 1, 3, 3\\]")
