// Records in libtorch's pickle format (the zip layout of Python's torch.save),
// so Python's torch.load opens our files and we open torch.save's.
#include <torch/csrc/jit/serialization/pickle.h>

#include "common.h"

namespace lt {

void registerSerializeEntries(Napi::Env env, Napi::Object exports) {
  // pickleSave(value) -> Buffer: nested objects, arrays, numbers, strings, booleans, null, tensors.
  defineEntry(env, exports, "pickleSave", [](const Napi::CallbackInfo& info) -> napi_value {
    std::vector<char> bytes = torch::jit::pickle_save(jsToIValue(info.Env(), info[0]));
    return Napi::Buffer<char>::Copy(info.Env(), bytes.data(), bytes.size());
  });
  // pickleLoad(bytes) -> value
  defineEntry(env, exports, "pickleLoad", [](const Napi::CallbackInfo& info) -> napi_value {
    if (!info[0].IsTypedArray()) throw JsError("expected the file's bytes as a Buffer");
    Napi::Uint8Array view = info[0].As<Napi::Uint8Array>();
    std::vector<char> bytes(reinterpret_cast<const char*>(view.Data()), reinterpret_cast<const char*>(view.Data()) + view.ByteLength());
    return ivalueToJs(info.Env(), torch::jit::pickle_load(bytes));
  });
}

}  // namespace lt
