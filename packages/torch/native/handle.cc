// Tensor handles: a JavaScript External owns one at::Tensor reference.
// Release is deterministic through dispose(); a basic finalizer is the safety
// net, and native bytes are reported to V8 so the GC sees the pressure.
#include <unordered_set>
#include <vector>

#include "common.h"

namespace lt {
namespace {

TensorHolder listHead;  // sentinel of the circular list of live holders
int64_t liveCount = 0;

void linkHolder(TensorHolder* h) {
  if (!listHead.next) listHead.next = listHead.prev = &listHead;
  h->next = listHead.next;
  h->prev = &listHead;
  listHead.next->prev = h;
  listHead.next = h;
  h->live = true;
  ++liveCount;
}

void unlinkHolder(TensorHolder* h) {
  h->prev->next = h->next;
  h->next->prev = h->prev;
  h->prev = h->next = nullptr;
  h->live = false;
  --liveCount;
}

// Native bytes are reported to V8 in batches: a call per tiny tensor costs more
// than the add it follows, and V8 only needs the pressure to within a MiB.
constexpr int64_t kReportBatch = 1 << 20;
thread_local int64_t unreportedBytes = 0;

void reportBytes(node_api_basic_env env, int64_t delta) {
  unreportedBytes += delta;
  if (unreportedBytes >= kReportBatch || unreportedBytes <= -kReportBatch) {
    int64_t ignored;
    napi_adjust_external_memory(env, unreportedBytes, &ignored);
    unreportedBytes = 0;
  }
}

// Holders are recycled through a free list: a training step makes thousands of
// them and the finalizers free them in bursts at each scavenge, which glibc's
// malloc handles poorly (fastbin consolidation).
constexpr size_t kMaxPooled = 1 << 16;
// Never destroyed: finalizers may still run while the process exits.
thread_local std::vector<TensorHolder*>& freeHolders = *new std::vector<TensorHolder*>();

TensorHolder* newHolder() {
  if (freeHolders.empty()) return new TensorHolder();
  TensorHolder* h = freeHolders.back();
  freeHolders.pop_back();
  return h;
}

void deleteHolder(TensorHolder* h) {
  // A recycled holder is reset (dead, nothing reported, no tensor) by release().
  if (freeHolders.size() < kMaxPooled) freeHolders.push_back(h);
  else delete h;
}

// Finalizers run inside V8's GC: there the freed bytes are only counted, never
// reported. Reporting from within a GC left V8's incremental marking and Node's
// CppHeap out of step, and a later report aborted the process in
// CppHeap::TraceEpilogue ("Check failed: marking_done_"); the count is flushed
// with the next report made from JavaScript.
void release(node_api_basic_env env, TensorHolder* h, bool duringGc = false) {
  if (!h->live) return;
  unlinkHolder(h);
  h->tensor.reset();
  if (h->reportedBytes) {
    if (duringGc) unreportedBytes -= h->reportedBytes;
    else reportBytes(env, -h->reportedBytes);
    h->reportedBytes = 0;
  }
}

void finalizeHolder(node_api_basic_env env, void* data, void* /*hint*/) {
  auto* h = static_cast<TensorHolder*>(data);
  release(env, h, true);
  deleteHolder(h);
}

}  // namespace

napi_value wrapTensor(napi_env env, at::Tensor tensor) {
  napi_value result;
  if (!tensor.defined()) {
    napi_get_null(env, &result);
    return result;
  }
  TensorHolder* h = newHolder();
  // Views share their base's storage: only a tensor that is the storage's sole
  // owner reports its bytes, so V8 is not told about the same memory twice.
  if (tensor.has_storage() && tensor.storage().use_count() == 1 && tensor.device().is_cpu()) {
    h->reportedBytes = static_cast<int64_t>(tensor.storage().nbytes());
  }
  h->tensor = std::move(tensor);
  linkHolder(h);
  if (napi_create_external(env, h, finalizeHolder, nullptr, &result) != napi_ok) {
    release(env, h);
    deleteHolder(h);
    throw JsError("could not create a tensor handle");
  }
  if (h->reportedBytes) reportBytes(env, h->reportedBytes);
  return result;
}

bool isHandle(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_external;
}

TensorHolder* holderOf(napi_env env, napi_value value) {
  if (TensorHolder* h = liveHolderOrNull(env, value)) return h;
  if (!isHandle(env, value)) throw JsError("expected a Tensor, got " + describeJs(env, value));
  void* data;
  napi_get_value_external(env, value, &data);
  auto* h = static_cast<TensorHolder*>(data);
  if (!h || h->magic != TensorHolder::kMagic) throw JsError("expected a Tensor, got a foreign external value");
  if (!h->live) throw JsError("this Tensor was disposed and cannot be used again");
  return h;
}

void disposeHolder(napi_env env, TensorHolder* holder) { release(env, holder); }

// dispose(handle) and isDisposed(handle) in raw Node-API: one runs per tensor
// in every scope, so they skip node-addon-api's wrappers and exception guards.
namespace {
TensorHolder* anyHolderArg(napi_env env, napi_callback_info info, const char* name) {
  size_t argc = 1;
  napi_value arg;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_get_value_external(env, arg, &data) != napi_ok || !data ||
      static_cast<TensorHolder*>(data)->magic != TensorHolder::kMagic) {
    std::string msg = std::string(name) + ": expected a Tensor handle";
    napi_throw_error(env, nullptr, msg.c_str());
    return nullptr;
  }
  return static_cast<TensorHolder*>(data);
}
napi_value cachedUndefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}
}  // namespace

napi_value disposeEntry(napi_env env, napi_callback_info info) {
  TensorHolder* h = anyHolderArg(env, info, "dispose");
  if (!h) return nullptr;
  release(env, h);
  return cachedUndefined(env);
}

napi_value isDisposedEntry(napi_env env, napi_callback_info info) {
  TensorHolder* h = anyHolderArg(env, info, "isDisposed");
  if (!h) return nullptr;
  napi_value result;
  napi_get_boolean(env, !h->live, &result);
  return result;
}

int64_t liveTensorCount() { return liveCount; }

int64_t liveTensorBytes() {
  if (!listHead.next) return 0;
  std::unordered_set<const void*> seen;
  int64_t bytes = 0;
  for (TensorHolder* h = listHead.next; h != &listHead; h = h->next) {
    if (!h->tensor.has_storage()) continue;
    const void* key = h->tensor.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) bytes += static_cast<int64_t>(h->tensor.storage().nbytes());
  }
  return bytes;
}

std::string describeJs(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  switch (type) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_object: {
      bool isArray = false;
      napi_is_array(env, value, &isArray);
      return isArray ? "an array" : "an object";
    }
    case napi_external: return "a Tensor";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return "an unsupported value";
  }
}

}  // namespace lt
