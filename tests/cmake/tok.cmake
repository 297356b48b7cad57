# SentencePiece-style tokenizers (issue 16): tokenizer.json (Llama 2 / TinyLlama style) and GGUF vocabularies
# (llama = SentencePiece scores, gpt2 = byte-level BPE), checked token for token against llama.cpp's test vectors and
# against Debian's python3-sentencepiece on seeded random strings generated at test time. Model files come from
# ATTNSCOPE_MODELS_DIR; a missing file fails the test.
add_executable(spm_reference_check ${CMAKE_CURRENT_SOURCE_DIR}/tok/spm_reference_check.cpp)
target_link_libraries(spm_reference_check PRIVATE attnscope_core)

set(ATTNSCOPE_TOKENIZERS ${ATTNSCOPE_MODELS_DIR}/tokenizers)
set(ATTNSCOPE_SPM_REFERENCE ${CMAKE_CURRENT_BINARY_DIR}/spm_reference.json)

# llama.cpp's vectors (46 strings: empty, whitespace runs, accents, CJK, emoji, code) through both GGUF vocabularies.
foreach(vocab llama-spm gpt-2)
  set(gguf ${ATTNSCOPE_TOKENIZERS}/ggml-vocab-${vocab}.gguf)
  add_test(NAME tok_llama_cpp_vectors_${vocab}
           COMMAND spm_reference_check vectors ${gguf} ${gguf}.inp ${gguf}.out)
  set_tests_properties(tok_llama_cpp_vectors_${vocab} PROPERTIES LABELS "tok;reference" TIMEOUT 120
                       PASS_REGULAR_EXPRESSION "46 of 46 strings tokenised identically, 46 of 46 decode")
endforeach()

# 2009 seeded random strings and one of 13,412 characters, encoded by sentencepiece on the Llama 2 model, then by
# attnscope through the same vocabulary in two formats: TinyLlama's tokenizer.json (BPE merges by rank) and
# llama.cpp's GGUF (scores).
add_test(NAME tok_sentencepiece_reference_generate
         COMMAND ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/spm_reference.py
                 ${ATTNSCOPE_TOKENIZERS}/llama2-tokenizer.model ${ATTNSCOPE_SPM_REFERENCE} --seed 16 --count 2000)
set_tests_properties(tok_sentencepiece_reference_generate PROPERTIES FIXTURES_SETUP spm_reference
                     LABELS "tok;reference" TIMEOUT 120)
foreach(tokenizer tinyllama-tokenizer.json ggml-vocab-llama-spm.gguf)
  add_test(NAME tok_sentencepiece_reference_${tokenizer}
           COMMAND spm_reference_check reference ${ATTNSCOPE_TOKENIZERS}/${tokenizer} ${ATTNSCOPE_SPM_REFERENCE})
  set_tests_properties(tok_sentencepiece_reference_${tokenizer} PROPERTIES FIXTURES_REQUIRED spm_reference
                       LABELS "tok;reference" TIMEOUT 120
                       PASS_REGULAR_EXPRESSION "2010 of 2010 strings tokenised identically, 2010 of 2010 decode")
endforeach()

# The same llama.cpp vectors through TinyLlama's tokenizer.json (the Llama 2 vocabulary in Hugging Face's format).
add_test(NAME tok_llama_cpp_vectors_tinyllama_json
         COMMAND spm_reference_check vectors ${ATTNSCOPE_TOKENIZERS}/tinyllama-tokenizer.json
                 ${ATTNSCOPE_TOKENIZERS}/ggml-vocab-llama-spm.gguf.inp ${ATTNSCOPE_TOKENIZERS}/ggml-vocab-llama-spm.gguf.out)
set_tests_properties(tok_llama_cpp_vectors_tinyllama_json PROPERTIES LABELS "tok;reference" TIMEOUT 120
                     PASS_REGULAR_EXPRESSION "46 of 46 strings tokenised identically, 46 of 46 decode")

# A Llama folder with a SentencePiece-style tokenizer.json: `model capture FOLDER --prompt` finds and uses it.
# tests/tok/tiny_llama2_tokenizer.json (15 pieces, Llama 2's normalizer and decoder) next to the hf reference's tiny
# Llama: "the cat" -> ▁the▁cat -> merges ▁ t, h e, ▁t he, c a, ca t, ▁ cat -> <s> ▁the ▁cat = 1, 11, 14.
add_test(NAME tok_cli_capture_sentencepiece_folder
         COMMAND sh -c "rm -rf \"$2\" && mkdir -p \"$2\" && cp \"$1\"/* \"$2\"/ && cp \"$3\" \"$2\"/tokenizer.json && \"$0\" model capture \"$2\" --prompt 'the cat' --out \"$2\"/c.safetensors && shift 3 && \"$@\""
                 $<TARGET_FILE:attnscope> ${CMAKE_CURRENT_BINARY_DIR}/hf_reference/llama
                 ${CMAKE_CURRENT_BINARY_DIR}/tok_sentencepiece_folder ${CMAKE_CURRENT_SOURCE_DIR}/tok/tiny_llama2_tokenizer.json
                 ${DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/reference/hf_reference.py token_ids
                 ${CMAKE_CURRENT_BINARY_DIR}/tok_sentencepiece_folder/c.safetensors)
set_tests_properties(tok_cli_capture_sentencepiece_folder PROPERTIES FIXTURES_REQUIRED hf_reference
                     LABELS "tok;cli" PASS_REGULAR_EXPRESSION "token_ids \\[1,11,14\\]")
