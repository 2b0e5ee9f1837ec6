// Shared by every native file: the tensor handle, JS <-> libtorch conversions,
// and the guard that turns C++ exceptions into JavaScript Errors.
#pragma once
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>

namespace lt {

// Thrown by our own checks; becomes a JavaScript Error with this message.
struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The native side of one JavaScript tensor handle (an External).
// All live holders sit in an intrusive list so the probe can count them.
struct TensorHolder {
  static constexpr uint32_t kMagic = 0x4c6f5454;  // tells our Externals from other addons'
  uint32_t magic = kMagic;
  at::Tensor tensor;
  int64_t reportedBytes = 0;
  bool live = false;
  TensorHolder* prev = nullptr;
  TensorHolder* next = nullptr;
};

// Wraps a tensor in a new handle; an undefined tensor becomes null.
napi_value wrapTensor(napi_env env, at::Tensor tensor);
// The holder behind a handle; throws JsError for anything else or a disposed tensor.
TensorHolder* holderOf(napi_env env, napi_value value);
inline const at::Tensor& tensorOf(napi_env env, napi_value value) { return holderOf(env, value)->tensor; }
// The holder behind `value` when it is one of our live handles, else nullptr; never throws.
inline TensorHolder* liveHolderOrNull(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || !data) return nullptr;
  auto* h = static_cast<TensorHolder*>(data);
  return h->magic == TensorHolder::kMagic && h->live ? h : nullptr;
}
bool isHandle(napi_env env, napi_value value);
void disposeHolder(napi_env env, TensorHolder* holder);
// Raw Node-API entries: dispose(handle), isDisposed(handle).
napi_value disposeEntry(napi_env env, napi_callback_info info);
napi_value isDisposedEntry(napi_env env, napi_callback_info info);
int64_t liveTensorCount();
int64_t liveTensorBytes();

// Generic values (pickle and op returns): tensors, numbers, strings, lists, dicts.
napi_value ivalueToJs(napi_env env, const c10::IValue& value);
c10::IValue jsToIValue(napi_env env, napi_value value);

std::string describeJs(napi_env env, napi_value value);

// Runs `body`; any C++ exception becomes a pending JavaScript Error whose
// message starts with `context` (the op's name). Returns nullptr then.
template <typename F>
napi_value guarded(napi_env env, const char* context, F&& body) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const c10::Error& e) {
    std::string msg = std::string(context) + ": " + e.what_without_backtrace();
    napi_throw_error(env, nullptr, msg.c_str());
  } catch (const std::exception& e) {
    std::string msg = std::string(context) + ": " + e.what();
    napi_throw_error(env, nullptr, msg.c_str());
  }
  return nullptr;
}

// Registers the entry points of one native file on the exports object.
void registerOpBridge(Napi::Env env, Napi::Object exports);
void registerTensorEntries(Napi::Env env, Napi::Object exports);
void registerAutogradEntries(Napi::Env env, Napi::Object exports);
void registerSerializeEntries(Napi::Env env, Napi::Object exports);
void registerDistributedEntries(Napi::Env env, Napi::Object exports);
void registerCudaEntries(Napi::Env env, Napi::Object exports);
/** Makes glibc keep large freed blocks for reuse (see addon.cc); true when in effect. */
bool cacheCpuMemory();

// Defines exports[name]; `body(info)` returns a napi_value, and any C++
// exception it throws becomes a JavaScript Error naming the entry.
template <typename F>
void defineEntry(Napi::Env env, Napi::Object exports, const char* name, F body) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [name, body](const Napi::CallbackInfo& info) -> Napi::Value {
                          napi_value r = guarded(info.Env(), name, [&]() -> napi_value { return body(info); });
                          return r ? Napi::Value(info.Env(), r) : info.Env().Undefined();
                        },
                        name));
}

}  // namespace lt
