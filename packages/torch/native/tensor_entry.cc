// Non-operator entry points about tensors: creation from and export to bytes,
// metadata, handle lifetime, randomness, threads, and build facts.
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <cstring>

#include "common.h"

namespace lt {
namespace {

at::ScalarType scalarTypeArg(const Napi::Value& v) {
  int code = v.As<Napi::Number>().Int32Value();
  if (code < 0 || code >= static_cast<int>(at::ScalarType::NumOptions)) throw JsError("unknown dtype code " + std::to_string(code));
  return static_cast<at::ScalarType>(code);
}

std::vector<int64_t> shapeArg(const Napi::Value& v) {
  if (!v.IsArray()) throw JsError("shape must be an array of integers");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    double d = arr.Get(i).As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d))) throw JsError("shape entries must be non-negative integers");
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

napi_value intArray(Napi::Env env, at::IntArrayRef values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return out;
}

}  // namespace

void registerTensorEntries(Napi::Env env, Napi::Object exports) {
  // fromBytes(bytes: ArrayBufferView | ArrayBuffer, shape, dtypeCode): copies the bytes into a new CPU tensor.
  defineEntry(env, exports, "fromBytes", [](const Napi::CallbackInfo& info) -> napi_value {
    const uint8_t* data = nullptr;
    size_t length = 0;
    if (info[0].IsTypedArray()) {
      Napi::TypedArray view = info[0].As<Napi::TypedArray>();
      data = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
      length = view.ByteLength();
    } else if (info[0].IsDataView()) {
      Napi::DataView view = info[0].As<Napi::DataView>();
      data = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
      length = view.ByteLength();
    } else if (info[0].IsArrayBuffer()) {
      Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
      data = static_cast<const uint8_t*>(buffer.Data());
      length = buffer.ByteLength();
    } else {
      throw JsError("expected a TypedArray, Buffer or ArrayBuffer");
    }
    auto shape = shapeArg(info[1]);
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(scalarTypeArg(info[2])));
    if (t.nbytes() != length)
      throw JsError("the data has " + std::to_string(length) + " bytes but shape " + c10::str(t.sizes()) + " of " +
                    std::string(c10::toString(t.scalar_type())) + " needs " + std::to_string(t.nbytes()));
    if (length) std::memcpy(t.data_ptr(), data, length);
    return wrapTensor(info.Env(), std::move(t));
  });
  // toBytes(t): a new ArrayBuffer with the tensor's elements, contiguous, on the CPU.
  defineEntry(env, exports, "toBytes", [](const Napi::CallbackInfo& info) -> napi_value {
    at::Tensor t = tensorOf(info.Env(), info[0]).to(at::kCPU).contiguous();
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), t.nbytes());
    if (t.nbytes()) std::memcpy(out.Data(), t.const_data_ptr(), t.nbytes());
    return out;
  });
  defineEntry(env, exports, "shape", [](const Napi::CallbackInfo& info) -> napi_value {
    return intArray(info.Env(), tensorOf(info.Env(), info[0]).sizes());
  });
  defineEntry(env, exports, "strides", [](const Napi::CallbackInfo& info) -> napi_value {
    return intArray(info.Env(), tensorOf(info.Env(), info[0]).strides());
  });
  defineEntry(env, exports, "dtype", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Number::New(info.Env(), static_cast<int>(tensorOf(info.Env(), info[0]).scalar_type()));
  });
  defineEntry(env, exports, "device", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::String::New(info.Env(), tensorOf(info.Env(), info[0]).device().str());
  });
  defineEntry(env, exports, "numel", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Number::New(info.Env(), static_cast<double>(tensorOf(info.Env(), info[0]).numel()));
  });
  defineEntry(env, exports, "isContiguous", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), tensorOf(info.Env(), info[0]).is_contiguous());
  });
  defineEntry(env, exports, "item", [](const Napi::CallbackInfo& info) -> napi_value {
    const at::Tensor& t = tensorOf(info.Env(), info[0]);
    if (t.numel() != 1)
      throw JsError("item() needs a tensor with one element, this one has " + std::to_string(t.numel()));
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(info.Env(), static_cast<double>(s.toLong()));
    if (s.isComplex()) throw JsError("item() of a complex tensor is not supported");
    return Napi::Number::New(info.Env(), s.toDouble());
  });
  for (auto [name, fn] : {std::pair{"dispose", &disposeEntry}, std::pair{"isDisposed", &isDisposedEntry}}) {
    napi_value f;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
    exports.Set(name, Napi::Value(env, f));
  }
  defineEntry(env, exports, "memoryStats", [](const Napi::CallbackInfo& info) -> napi_value {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("liveTensors", Napi::Number::New(info.Env(), static_cast<double>(liveTensorCount())));
    out.Set("liveBytes", Napi::Number::New(info.Env(), static_cast<double>(liveTensorBytes())));
    return out;
  });
  defineEntry(env, exports, "manualSeed", [](const Napi::CallbackInfo& info) -> napi_value {
    double seed = info[0].As<Napi::Number>().DoubleValue();
    if (seed < 0 || seed != static_cast<double>(static_cast<uint64_t>(seed))) throw JsError("the seed must be a non-negative integer");
    // The CPU generator and, as Python's torch.manual_seed, every CUDA device's. at::manual_seed
    // seeds the accelerator's generators too, but only those of the one accelerator it detects
    // first, so CUDA's are seeded here explicitly (when CUDA is usable; nothing otherwise).
    at::manual_seed(static_cast<uint64_t>(seed));
    if (at::hasCUDA()) {
      const auto count = at::detail::getCUDAHooks().deviceCount();
      for (c10::DeviceIndex i = 0; i < count; ++i) {
        at::Generator gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, i));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(static_cast<uint64_t>(seed));
      }
    }
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "getRngState", [](const Napi::CallbackInfo& info) -> napi_value {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrapTensor(info.Env(), at::Tensor(gen.get_state()));
  });
  defineEntry(env, exports, "setRngState", [](const Napi::CallbackInfo& info) -> napi_value {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(tensorOf(info.Env(), info[0]));
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "getNumThreads", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Number::New(info.Env(), at::get_num_threads());
  });
  defineEntry(env, exports, "setNumThreads", [](const Napi::CallbackInfo& info) -> napi_value {
    int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1) throw JsError("the thread count must be at least 1");
    at::set_num_threads(n);
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "buildInfo", [](const Napi::CallbackInfo& info) -> napi_value {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("torchVersion", TORCH_VERSION);
    out.Set("cudaAvailable", at::hasCUDA());
    out.Set("cudaDeviceCount", at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0);
    out.Set("parallelInfo", at::get_parallel_info());
    out.Set("cpuMemoryCaching", cacheCpuMemory());
    return out;
  });
}

}  // namespace lt
