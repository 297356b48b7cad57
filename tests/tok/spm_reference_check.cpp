// Compares attnscope's SentencePiece-style tokenizers with independent references, token for token:
//   spm_reference_check reference TOKENIZER REFERENCE.json   -- ids written by tests/reference/spm_reference.py
//                                                              (Debian's python3-sentencepiece)
//   spm_reference_check vectors VOCAB.gguf TESTS.inp TESTS.out -- llama.cpp's tokenizer test vectors (no BOS)
// TOKENIZER is a tokenizer.json or a GGUF file (by extension). Every string must also decode back to itself.
// Exit status 0 only if every string matches; the first mismatches are printed.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model/gguf.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/spm_tokenizer.h"

namespace {

using attnscope::model::Tokenizer;

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw attnscope::FileError("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<Tokenizer> openTokenizer(const std::string& path) {
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0) {
    const attnscope::model::GgufFile file(path);
    return attnscope::model::openGgufTokenizer(file);
  }
  return attnscope::model::openHfTokenizer(path);
}

std::string idList(const std::vector<int>& ids) {
  std::string out;
  for (int id : ids) out += " " + std::to_string(id);
  return out;
}

struct Case {
  std::string text;
  std::vector<int> ids;
};

/// llama.cpp's .inp/.out pair: strings each followed by "\n__ggml_vocab_test__\n"; one line of ids per string.
std::vector<Case> readVectors(const std::string& inpPath, const std::string& outPath) {
  const std::string inp = readText(inpPath), out = readText(outPath);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<Case> cases;
  for (size_t start = 0, at; (at = inp.find(separator, start)) != std::string::npos; start = at + separator.size())
    cases.push_back({inp.substr(start, at - start), {}});
  std::istringstream lines(out);
  std::string line;
  size_t index = 0;
  while (std::getline(lines, line)) {
    if (index >= cases.size()) throw attnscope::FileError(outPath + " has more lines than " + inpPath + " has tests");
    std::istringstream numbers(line);
    for (int id; numbers >> id;) cases[index].ids.push_back(id);
    ++index;
  }
  if (index != cases.size() || cases.empty())
    throw attnscope::FileError(outPath + ": " + std::to_string(index) + " lines for " + std::to_string(cases.size()) +
                               " tests");
  return cases;
}

std::vector<Case> readReference(const std::string& path) {
  const nlohmann::json root = nlohmann::json::parse(readText(path));
  std::vector<Case> cases;
  for (const auto& item : root.at("cases")) cases.push_back({item.at("text"), item.at("ids")});
  if (cases.empty()) throw attnscope::FileError(path + " holds no cases");
  return cases;
}

int compare(const Tokenizer& tokenizer, const std::vector<Case>& cases, const std::string& label) {
  int equal = 0, roundTrips = 0, reported = 0;
  for (const Case& item : cases) {
    const std::vector<int> ids = tokenizer.encode(item.text, false);
    const std::string decoded = tokenizer.decode(ids);
    equal += ids == item.ids;
    roundTrips += decoded == item.text;
    if ((ids != item.ids || decoded != item.text) && reported++ < 5) {
      std::printf("MISMATCH %s\n  text:     '%s'\n  expected:%s\n  got:     %s\n  decoded:  '%s'\n", label.c_str(),
                  item.text.c_str(), idList(item.ids).c_str(), idList(ids).c_str(), decoded.c_str());
    }
  }
  std::printf("%s: %d of %zu strings tokenised identically, %d of %zu decode back to the text\n", label.c_str(), equal,
              cases.size(), roundTrips, cases.size());
  return equal == int(cases.size()) && roundTrips == int(cases.size()) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "reference" && argc == 4) return compare(*openTokenizer(argv[2]), readReference(argv[3]), argv[2]);
    if (mode == "vectors" && argc == 5) return compare(*openTokenizer(argv[2]), readVectors(argv[3], argv[4]), argv[2]);
    std::fprintf(stderr,
                 "usage: spm_reference_check reference TOKENIZER REFERENCE.json\n"
                 "       spm_reference_check vectors VOCAB.gguf TESTS.inp TESTS.out\n");
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "spm_reference_check: %s\n", error.what());
    return 1;
  }
}
