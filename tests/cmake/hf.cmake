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
