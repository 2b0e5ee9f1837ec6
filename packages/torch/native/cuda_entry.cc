// torch.cuda: whether CUDA is usable, device count, synchronization and the CUDA
// generators' seeds and states. Everything goes through ATen's CUDA hooks
// (at::detail::getCUDAHooks()), which libtorch_cuda registers when it is loaded,
// so no CUDA header is needed here and the same file builds against a CPU-only
// libtorch, where every call that needs CUDA throws a JavaScript Error.
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/version.h>

#include "common.h"

namespace lt {

namespace {

bool cudaBuilt() { return at::detail::getCUDAHooks().isBuilt(); }

int64_t visibleDevices() { return at::hasCUDA() ? static_cast<int64_t>(at::detail::getCUDAHooks().deviceCount()) : 0; }

std::string unavailableMessage() {
  if (!cudaBuilt()) {
    return std::string("CUDA is not available: this libtorch (") + TORCH_VERSION +
           ") was built without CUDA; use device 'cpu' (or build against a CUDA libtorch)";
  }
  return "CUDA is not available: this libtorch has CUDA but no GPU is visible (see nvidia-smi and CUDA_VISIBLE_DEVICES); "
         "use device 'cpu'";
}

void requireCuda() {
  if (!at::hasCUDA()) throw JsError(unavailableMessage());
}

// The device index an entry was given: undefined/null or -1 means the current device.
c10::DeviceIndex indexArg(const Napi::Value& v) {
  requireCuda();
  const int64_t count = visibleDevices();
  int64_t index = -1;
  if (!v.IsUndefined() && !v.IsNull()) {
    if (!v.IsNumber()) throw JsError("the CUDA device must be an index, 'cuda' or 'cuda:N'");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) throw JsError("the CUDA device index must be an integer");
    index = static_cast<int64_t>(d);
  }
  if (index == -1) return at::detail::getCUDAHooks().getCurrentDevice();
  if (index < 0 || index >= count) {
    throw JsError("device cuda:" + std::to_string(index) + " does not exist: " + std::to_string(count) +
                  " CUDA device(s) are visible (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
  }
  return static_cast<c10::DeviceIndex>(index);
}

// The default generator of one CUDA device (initializes CUDA on first use, as PyTorch's lazy init).
at::Generator cudaGenerator(c10::DeviceIndex index) {
  return at::globalContext().defaultGenerator(at::Device(at::kCUDA, index));
}

uint64_t seedArg(const Napi::Value& v) {
  if (!v.IsNumber()) throw JsError("the seed must be a non-negative integer");
  double seed = v.As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed >= 18446744073709551616.0 || seed != static_cast<double>(static_cast<uint64_t>(seed)))
    throw JsError("the seed must be a non-negative integer");
  return static_cast<uint64_t>(seed);
}

void seedDevice(c10::DeviceIndex index, uint64_t seed) {
  at::Generator gen = cudaGenerator(index);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
}

}  // namespace

// Used by the op bridge for every Device argument: a CUDA device on a machine without
// one, or an index past the last GPU, is refused with a clear message before libtorch
// gets to report a missing backend kernel.
void requireDeviceAvailable(const c10::Device& device) {
  if (!device.is_cuda()) return;
  requireCuda();
  if (device.has_index()) {
    const int64_t count = visibleDevices();
    if (device.index() >= count) {
      throw JsError("device " + device.str() + " does not exist: " + std::to_string(count) +
                    " CUDA device(s) are visible (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
    }
  }
}

void registerCudaEntries(Napi::Env env, Napi::Object exports) {
  // cudaIsAvailable(): a CUDA libtorch and at least one visible GPU. Never throws.
  defineEntry(env, exports, "cudaIsAvailable", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), at::hasCUDA());
  });
  // cudaIsBuilt(): whether this libtorch has CUDA at all (true on a GPU-less machine with a CUDA wheel).
  defineEntry(env, exports, "cudaIsBuilt", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Boolean::New(info.Env(), cudaBuilt());
  });
  // cudaDeviceCount(): visible GPUs; 0 without CUDA (as torch.cuda.device_count()).
  defineEntry(env, exports, "cudaDeviceCount", [](const Napi::CallbackInfo& info) -> napi_value {
    return Napi::Number::New(info.Env(), static_cast<double>(visibleDevices()));
  });
  // cudaUnavailableReason(): why CUDA cannot be used, or null when it can.
  defineEntry(env, exports, "cudaUnavailableReason", [](const Napi::CallbackInfo& info) -> napi_value {
    if (at::hasCUDA()) return info.Env().Null();
    return Napi::String::New(info.Env(), unavailableMessage());
  });
  // cudaCurrentDevice(): the index 'cuda' means.
  defineEntry(env, exports, "cudaCurrentDevice", [](const Napi::CallbackInfo& info) -> napi_value {
    requireCuda();
    return Napi::Number::New(info.Env(), static_cast<double>(at::detail::getCUDAHooks().getCurrentDevice()));
  });
  // cudaSetDevice(index): makes 'cuda' mean that GPU in this process (torch.cuda.set_device),
  // through c10's device guard for CUDA, which libtorch_cuda registers.
  defineEntry(env, exports, "cudaSetDevice", [](const Napi::CallbackInfo& info) -> napi_value {
    if (!info[0].IsNumber()) throw JsError("setDevice() needs a device index");
    const c10::DeviceIndex index = indexArg(info[0]);
    c10::impl::getDeviceGuardImpl(at::kCUDA)->setDevice(at::Device(at::kCUDA, index));
    return info.Env().Undefined();
  });
  // cudaSynchronize(index?): waits for every kernel queued on the device.
  defineEntry(env, exports, "cudaSynchronize", [](const Napi::CallbackInfo& info) -> napi_value {
    at::detail::getCUDAHooks().deviceSynchronize(indexArg(info[0]));
    return info.Env().Undefined();
  });
  // cudaManualSeed(seed): the current device's generator; cudaManualSeedAll(seed): every device's.
  defineEntry(env, exports, "cudaManualSeed", [](const Napi::CallbackInfo& info) -> napi_value {
    uint64_t seed = seedArg(info[0]);
    seedDevice(indexArg(info.Env().Undefined()), seed);
    return info.Env().Undefined();
  });
  defineEntry(env, exports, "cudaManualSeedAll", [](const Napi::CallbackInfo& info) -> napi_value {
    uint64_t seed = seedArg(info[0]);
    requireCuda();
    const int64_t count = visibleDevices();
    for (int64_t i = 0; i < count; ++i) seedDevice(static_cast<c10::DeviceIndex>(i), seed);
    return info.Env().Undefined();
  });
  // cudaGetRngState(index?) -> uint8 CPU tensor; cudaSetRngState(state, index?).
  defineEntry(env, exports, "cudaGetRngState", [](const Napi::CallbackInfo& info) -> napi_value {
    at::Generator gen = cudaGenerator(indexArg(info[0]));
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrapTensor(info.Env(), gen.get_state());
  });
  defineEntry(env, exports, "cudaSetRngState", [](const Napi::CallbackInfo& info) -> napi_value {
    const at::Tensor& state = tensorOf(info.Env(), info[0]);
    at::Generator gen = cudaGenerator(indexArg(info[1]));
    if (state.device().type() != at::kCPU || state.scalar_type() != at::kByte)
      throw JsError("the CUDA RNG state must be a CPU uint8 tensor (as cuda.getRngState() returns)");
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    return info.Env().Undefined();
  });
}

}  // namespace lt
