// The addon's entry: registers each native file's entry points.
#include "common.h"

namespace lt {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  registerOpBridge(env, exports);
  registerTensorEntries(env, exports);
  registerAutogradEntries(env, exports);
  registerSerializeEntries(env, exports);
  return exports;
}

}  // namespace lt

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return lt::init(env, exports); }

NODE_API_MODULE(lot_torch, Init)
