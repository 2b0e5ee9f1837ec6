// The addon's entry: registers each native file's entry points.
#include <cstdlib>
#include <cstring>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <c10/core/CPUAllocator.h>

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

// libtorch's default CPU allocator gets its 64-byte alignment from posix_memalign.
// glibc before 2.38 serves memalign(n) by splitting a chunk of n + 96 bytes and
// freeing the tail (up to 80 bytes) it did not need; the next small malloc (a
// napi reference that lives until the GC) takes that tail, which fences the
// freed block off from the top of the heap, and the block, exactly n bytes, is
// too small for the next memalign(n). Every op then gets fresh, page-faulting
// memory and the heap grows by the op's output size (3000 matmuls of 1 MiB:
// RSS 1.3 GB, 2x slower). Aligning a plain malloc block here lets a freed block
// of the same size be reused: same request, same size. data == context, so
// raw_deleter() works too.
namespace {
constexpr size_t kCpuAlignment = 64;  // c10::gAlignment
void freeAligned(void* p) {
  if (p) std::free(static_cast<void**>(p)[-1]);
}
struct MallocCpuAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    if (n == 0) return {nullptr, nullptr, &freeAligned, c10::Device(c10::DeviceType::CPU)};
    void* raw = std::malloc(n + kCpuAlignment);
    TORCH_CHECK_WITH(OutOfMemoryError, raw, "DefaultCPUAllocator: not enough memory: you tried to allocate ", n, " bytes.");
    auto address = (reinterpret_cast<uintptr_t>(raw) + sizeof(void*) + kCpuAlignment - 1) & ~uintptr_t(kCpuAlignment - 1);
    void* p = reinterpret_cast<void*>(address);
    static_cast<void**>(p)[-1] = raw;
    return {p, p, &freeAligned, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &freeAligned; }
  void copy_data(void* dest, const void* src, size_t count) const override { std::memcpy(dest, src, count); }
};
}  // namespace

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
  static MallocCpuAllocator cpuAllocator;  // stateless; its DataPtrs carry their own deleter
  c10::SetCPUAllocator(&cpuAllocator, /*priority=*/1);
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
