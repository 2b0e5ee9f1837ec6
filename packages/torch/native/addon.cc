// The addon's entry: registers each native file's entry points.
#include <thread>

#include "common.h"

namespace lt {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  // The operator registry and the live-handle list are process globals without
  // locks, so one thread owns the addon: the first to load it. native.ts already
  // refuses worker threads; this covers a direct require of the .node file.
  // (Threads, not napi_envs: each require of the file gets a new env.)
  static const std::thread::id owner = std::this_thread::get_id();
  if (std::this_thread::get_id() != owner) {
    throw Napi::Error::New(env,
                           "@lot/torch: the native addon can only be used from the thread that loaded it first "
                           "(the main thread); it keeps process-wide state that is not synchronized across threads. "
                           "Pass plain data (TypedArrays, SharedArrayBuffers) between worker threads and the main thread.");
  }
  registerOpBridge(env, exports);
  registerTensorEntries(env, exports);
  registerAutogradEntries(env, exports);
  registerSerializeEntries(env, exports);
  return exports;
}

}  // namespace lt

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return lt::init(env, exports); }

NODE_API_MODULE(lot_torch, Init)
