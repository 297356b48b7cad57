// openModel(path): picks the loader from what is on disk (HF folder, capture file, llama2.c checkpoint) and
// refuses PyTorch pickles, which can run arbitrary code when loaded.
#include <fstream>

#include "core/error.h"
#include "core/model/capture_file.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/hf_models.h"
#include "core/model/llama2c.h"
#include "core/model/model.h"
#include "core/model/safetensors.h"

namespace attnscope::model {
namespace {

std::string pickleRefusal(const std::filesystem::path& path) {
  return "'" + path.string() +
         "' is a PyTorch pickle. attnscope does not load pickles: unpickling can execute arbitrary code hidden in the "
         "file. Convert it to safetensors once, in Python:\n"
         "  import torch; from safetensors.torch import save_file\n"
         "  state = torch.load('" +
         path.filename().string() +
         "', map_location='cpu', weights_only=True)\n"
         "  save_file({k: v.contiguous() for k, v in state.items()}, 'model.safetensors')\n"
         "then open the folder holding model.safetensors and config.json (for a Hugging Face model, "
         "AutoModel.from_pretrained(dir).save_pretrained(out, safe_serialization=True) does the same).";
}

// Zip (torch.save since 1.6) or a bare pickle stream (protocol 2-5 header, as legacy torch.save writes). A
// llama2.c header starting with dim = 640 also begins 0x80 0x02, but its next bytes are zero; a pickle's are not.
bool looksLikePickle(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  if (in.gcount() < 4) return false;
  if (magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) return true;
  return magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5 && magic[2] != 0;
}

}  // namespace

std::unique_ptr<Model> openModel(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw FileError("'" + path.string() + "' does not exist");
  if (fs::is_directory(path)) {
    if (fs::exists(path / "config.json")) {
      if (!fs::exists(path / "model.safetensors") && !fs::exists(path / "model.safetensors.index.json")) {
        for (const char* pickle : {"pytorch_model.bin", "pytorch_model.bin.index.json"}) {
          if (fs::exists(path / pickle)) throw FileError(pickleRefusal(path / pickle));
        }
      }
      return openHfModel(path);
    }
    throw FileError("folder '" + path.string() +
                    "' has no config.json; expected a Hugging Face model folder (config.json + model.safetensors)");
  }
  // The magic decides, as GGUF files are often saved without ".gguf" (Ollama's blobs); a .gguf file without the
  // magic goes to the GGUF reader too, which says so.
  if (looksLikeGguf(path) || path.extension() == ".gguf") return openGgufModel(path);
  const std::string extension = path.extension().string();
  if (extension == ".pt" || extension == ".pth" || extension == ".ckpt" || extension == ".pkl" ||
      looksLikePickle(path)) {
    throw FileError(pickleRefusal(path));
  }
  if (extension == ".safetensors") {
    if (isCaptureFile(path)) return openCaptureModel(path);
    if (fs::exists(path.parent_path() / "config.json")) return openHfModel(path.parent_path());
    // A corrupt file would otherwise get the generic message below; reading the header names the actual problem
    // (length past the end, offsets outside the data, malformed JSON).
    { SafetensorsFile probe(path); }
    throw FileError("'" + path.string() +
                    "' is neither a capture file (no 'q' tensor and 'token_ids' metadata) nor next to a config.json; "
                    "open the Hugging Face model folder instead");
  }
  if (extension == ".json" && path.filename() == "config.json") return openHfModel(path.parent_path());
  return openLlama2cModel(path);
}

}  // namespace attnscope::model
