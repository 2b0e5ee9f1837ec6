// Autograd entry points: backward, grad, gradient accessors and grad modes.
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include "common.h"

namespace lt {
namespace {

std::vector<at::Tensor> tensorArray(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw JsError(std::string(what) + " must be an array of tensors");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value item = arr.Get(i);
    out.push_back(item.IsNull() || item.IsUndefined() ? at::Tensor() : tensorOf(env, item));
  }
  return out;
}

bool flag(const Napi::CallbackInfo& info, size_t i, bool fallback) {
  return info.Length() > i && info[i].IsBoolean() ? info[i].As<Napi::Boolean>().Value() : fallback;
}

}  // namespace

void registerAutogradEntries(Napi::Env env, Napi::Object exports) {
  // backward(t, gradient | null, retainGraph, createGraph)
  defineEntry(env, exports, "backward", [](const Napi::CallbackInfo& info) -> napi_value {
    const at::Tensor& t = tensorOf(info.Env(), info[0]);
    std::optional<at::Tensor> gradient;
    if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) gradient = tensorOf(info.Env(), info[1]);
    bool createGraph = flag(info, 3, false);
    bool retainGraph = flag(info, 2, createGraph);
    if (!gradient && t.numel() != 1)
      throw JsError("backward() without a gradient needs a scalar output; this tensor has shape " + c10::str(t.sizes()) +
                    " (pass a gradient of the same shape)");
    t.backward(gradient.value_or(at::Tensor()), retainGraph, createGraph);
    return info.Env().Undefined();
  });
  // grad(outputs, inputs, gradOutputs | null, retainGraph, createGraph, allowUnused) -> (Tensor | null)[]
  defineEntry(env, exports, "autogradGrad", [](const Napi::CallbackInfo& info) -> napi_value {
    Napi::Env e = info.Env();
    auto outputs = tensorArray(e, info[0], "outputs");
    auto inputs = tensorArray(e, info[1], "inputs");
    std::vector<at::Tensor> gradOutputs;
    if (info.Length() > 2 && info[2].IsArray()) gradOutputs = tensorArray(e, info[2], "gradOutputs");
    bool createGraph = flag(info, 4, false);
    bool retainGraph = flag(info, 3, createGraph);
    bool allowUnused = flag(info, 5, false);
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused);
    Napi::Array out = Napi::Array::New(e, grads.size());
    for (size_t i = 0; i < grads.size(); ++i) out.Set(i, Napi::Value(e, wrapTensor(e, grads[i])));
    return out;
  });
  defineEntry(env, exports, "grad", [](const Napi::CallbackInfo& info) -> napi_value {
    return wrapTensor(info.Env(), tensorOf(info.Env(), info[0]).grad());
  });
  defineEntry(env, exports, "setGrad", [](const Napi::CallbackInfo& info) -> napi_value {
    const at::Tensor& t = tensorOf(info.Env(), info[0]);
    at::Tensor g = info[1].IsNull() || info[1].IsUndefined() ? at::Tensor() : tensorOf(info.Env(), info[1]);
    t.mutable_grad() = g;
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "requiresGrad", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), tensorOf(info.Env(), info[0]).requires_grad());
  });
  defineEntry(env, exports, "setRequiresGrad", [](const Napi::CallbackInfo& info) -> napi_value {
    const at::Tensor& t = tensorOf(info.Env(), info[0]);
    t.set_requires_grad(info[1].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "isLeaf", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), tensorOf(info.Env(), info[0]).is_leaf());
  });
  defineEntry(env, exports, "retainGrad", [](const Napi::CallbackInfo& info) -> napi_value {
    tensorOf(info.Env(), info[0]).retain_grad();
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "gradFnName", [](const Napi::CallbackInfo& info) -> napi_value {
    const auto& fn = tensorOf(info.Env(), info[0]).grad_fn();
    if (!fn) return info.Env().Null();
    return Napi::String::New(info.Env(), fn->name());
  });
  defineEntry(env, exports, "isGradEnabled", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
  });
  defineEntry(env, exports, "setGradEnabled", [](const Napi::CallbackInfo& info) -> napi_value {
    bool previous = at::GradMode::is_enabled();
    at::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
    return Napi::Boolean::New(info.Env(), previous);
  });
  defineEntry(env, exports, "isInferenceMode", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
  });
  // runInferenceMode(fn): calls fn with libtorch's inference mode on (a scoped guard).
  defineEntry(env, exports, "runInferenceMode", [](const Napi::CallbackInfo& info) -> napi_value {
    c10::InferenceMode guard(true);
    napi_value result = info[0].As<Napi::Function>().Call({});
    return result;
  });
}

}  // namespace lt
