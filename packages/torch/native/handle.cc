// Tensor handles: a JavaScript External owns one at::Tensor reference.
// Release is deterministic through dispose(); a basic finalizer is the safety
// net, and native bytes are reported to V8 so the GC sees the pressure.
#include <unordered_set>

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

void release(node_api_basic_env env, TensorHolder* h) {
  if (!h->live) return;
  unlinkHolder(h);
  h->tensor.reset();
  if (h->reportedBytes) {
    int64_t ignored;
    napi_adjust_external_memory(env, -h->reportedBytes, &ignored);
    h->reportedBytes = 0;
  }
}

void finalizeHolder(node_api_basic_env env, void* data, void* /*hint*/) {
  auto* h = static_cast<TensorHolder*>(data);
  release(env, h);
  delete h;
}

}  // namespace

napi_value wrapTensor(napi_env env, at::Tensor tensor) {
  napi_value result;
  if (!tensor.defined()) {
    napi_get_null(env, &result);
    return result;
  }
  auto* h = new TensorHolder();
  // Views share their base's storage: only a tensor that is the storage's sole
  // owner reports its bytes, so V8 is not told about the same memory twice.
  if (tensor.has_storage() && tensor.storage().use_count() == 1 && tensor.device().is_cpu()) {
    h->reportedBytes = static_cast<int64_t>(tensor.storage().nbytes());
  }
  h->tensor = std::move(tensor);
  linkHolder(h);
  if (napi_create_external(env, h, finalizeHolder, nullptr, &result) != napi_ok) {
    release(env, h);
    delete h;
    throw JsError("could not create a tensor handle");
  }
  if (h->reportedBytes) {
    int64_t ignored;
    napi_adjust_external_memory(env, h->reportedBytes, &ignored);
  }
  return result;
}

bool isHandle(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_external;
}

TensorHolder* holderOf(napi_env env, napi_value value) {
  if (!isHandle(env, value)) throw JsError("expected a Tensor, got " + describeJs(env, value));
  void* data;
  napi_get_value_external(env, value, &data);
  auto* h = static_cast<TensorHolder*>(data);
  if (!h->live) throw JsError("this Tensor was disposed and cannot be used again");
  return h;
}

void disposeHolder(napi_env env, TensorHolder* holder) { release(env, holder); }

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
