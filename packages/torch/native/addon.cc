// The addon's entry: registers each native file's entry points.
#include <cstdlib>
#include <cstring>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "common.h"

namespace lt {

// libtorch's CPU allocator is malloc. glibc serves blocks over its mmap threshold
// (32 MiB at most) with a fresh mmap and unmaps them on free, so every op that
// makes a large tensor (a [4200, 10000] float logits tensor is 168 MB) first
// page-faults and zeroes all of it: ten times the op itself here. Serving them from
// the heap and keeping freed memory for reuse is what a caching allocator does.
// The heap is never trimmed (-1), as a caching allocator holds what it has
// used; LOT_TORCH_MALLOC=system leaves glibc's defaults.
bool cacheCpuMemory() {
#if defined(__GLIBC__)
  const char* choice = std::getenv("LOT_TORCH_MALLOC");
  if (choice && std::strcmp(choice, "system") == 0) return false;
  static const bool applied = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, -1) == 1;
  return applied;
#else
  return false;
#endif
}

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
  cacheCpuMemory();
  registerOpBridge(env, exports);
  registerTensorEntries(env, exports);
  registerAutogradEntries(env, exports);
  registerSerializeEntries(env, exports);
  registerDistributedEntries(env, exports);
  registerCudaEntries(env, exports);
  return exports;
}

}  // namespace lt

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return lt::init(env, exports); }

NODE_API_MODULE(lot_torch, Init)
