// torch.distributed over libtorch's own c10d: a TCPStore for the rendezvous (torchrun's
// MASTER_ADDR/MASTER_PORT), a Gloo process group on the CPU and an NCCL one on CUDA when
// the build has it. One process group per process, as torch.distributed's default group.
// Collectives block the calling (JS) thread until done or until the group's timeout.
#include "common.h"

#if defined(LOT_DISTRIBUTED)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(LOT_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace lt {

#if defined(LOT_DISTRIBUTED)
namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  std::string name;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};
Group* group = nullptr;

Group& current(const char* what) {
  if (!group) {
    throw JsError(std::string(what) +
                  ": no process group; call torch.distributed.initProcessGroup() first (it reads torchrun's RANK, "
                  "WORLD_SIZE, MASTER_ADDR and MASTER_PORT)");
  }
  return *group;
}

std::vector<at::Tensor> tensorsOf(napi_env env, Napi::Value value) {
  if (!value.IsArray()) throw JsError("expected an array of tensors");
  auto arr = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(tensorOf(env, arr.Get(i)));
  return out;
}

// Waits for a collective; a failure names this rank and the operation, and says what a peer
// that closed its connection usually means.
void finish(const Group& g, const char* op, const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto* ce = dynamic_cast<const c10::Error*>(&e)) msg = ce->what_without_backtrace();
    std::string hint;
    if (msg.find("closed") != std::string::npos || msg.find("reset by peer") != std::string::npos ||
        msg.find("Broken pipe") != std::string::npos) {
      hint = " (another rank's process exited or crashed; its own output says why)";
    } else if (msg.find("imed out") != std::string::npos) {
      hint = " (another rank stopped answering within the group's timeout of " + std::to_string(g.timeout.count()) +
             " ms: it is stuck, much slower, or gone)";
    }
    throw JsError("rank " + std::to_string(g.rank) + " of " + std::to_string(g.size) + ": " + op + " failed: " + msg +
                  hint);
  }
}

c10d::ReduceOp reduceOpOf(const std::string& name) {
  if (name == "sum") return c10d::ReduceOp(c10d::ReduceOp::SUM);
  if (name == "max") return c10d::ReduceOp(c10d::ReduceOp::MAX);
  if (name == "min") return c10d::ReduceOp(c10d::ReduceOp::MIN);
  if (name == "product") return c10d::ReduceOp(c10d::ReduceOp::PRODUCT);
  throw JsError("unknown reduce op '" + name + "' (sum, max, min, product)");
}

// Gloo binds one interface: loopback when the master is local (tests, one machine), the
// interface GLOO_SOCKET_IFNAME names, or the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& masterAddr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (masterAddr == "127.0.0.1" || masterAddr == "localhost") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace
#endif

void registerDistributedEntries(Napi::Env env, Napi::Object exports) {
  defineEntry(env, exports, "distBackends", [](const Napi::CallbackInfo& info) -> napi_value {
    Napi::Array out = Napi::Array::New(info.Env());
#if defined(LOT_DISTRIBUTED)
    out.Set(out.Length(), "gloo");
#if defined(LOT_NCCL)
    out.Set(out.Length(), "nccl");
#endif
#endif
    return out;
  });

#if defined(LOT_DISTRIBUTED)
  // distInit(backend, rank, worldSize, masterAddr, masterPort, timeoutMs)
  defineEntry(env, exports, "distInit", [](const Napi::CallbackInfo& info) -> napi_value {
    if (group) throw JsError("initProcessGroup: the process group is already initialized (destroyProcessGroup() first)");
    std::string backend = info[0].As<Napi::String>();
    int rank = info[1].As<Napi::Number>().Int32Value();
    int size = info[2].As<Napi::Number>().Int32Value();
    std::string addr = info[3].As<Napi::String>();
    int port = info[4].As<Napi::Number>().Int32Value();
    std::chrono::milliseconds timeout(info[5].As<Napi::Number>().Int64Value());
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(port);
    opts.isServer = rank == 0;
    opts.numWorkers = size;
    opts.waitWorkers = true;
    opts.timeout = timeout;
    auto g = std::make_unique<Group>();
    g->rank = rank;
    g->size = size;
    g->timeout = timeout;
    g->name = backend;
    try {
      g->store = c10::make_intrusive<c10d::TCPStore>(addr, opts);
    } catch (const std::exception& e) {
      std::string msg = e.what();
      if (auto* ce = dynamic_cast<const c10::Error*>(&e)) msg = ce->what_without_backtrace();
      throw JsError("rank " + std::to_string(rank) + " of " + std::to_string(size) + ": the rendezvous at " + addr + ":" +
                    std::to_string(port) + " failed: " + msg +
                    (rank == 0 ? " (is the port in use? choose another MASTER_PORT)"
                               : " (is rank 0 running, and MASTER_ADDR/MASTER_PORT the same on every rank?)"));
    }
    if (backend == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      options->devices.push_back(glooDevice(addr));
      g->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, size, options);
#if defined(LOT_NCCL)
    } else if (backend == "nccl") {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      g->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, rank, size, options);
#endif
    } else {
      throw JsError("initProcessGroup: backend '" + backend + "' is not in this build (it has: gloo" +
#if defined(LOT_NCCL)
                    std::string(", nccl") +
#else
                    std::string(
                        "; nccl needs a CUDA libtorch with NCCL's headers at build time") +
#endif
                    ")");
    }
    group = g.release();
    return info.Env().Undefined();
  });

  defineEntry(env, exports, "distDestroy", [](const Napi::CallbackInfo& info) -> napi_value {
    if (group) {
      Group* g = group;
      group = nullptr;
      g->backend.reset();
      g->store.reset();
      delete g;
    }
    return info.Env().Undefined();
  });

  defineEntry(env, exports, "distInfo", [](const Napi::CallbackInfo& info) -> napi_value {
    if (!group) return info.Env().Null();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("backend", group->name);
    out.Set("rank", group->rank);
    out.Set("worldSize", group->size);
    out.Set("timeoutMs", static_cast<double>(group->timeout.count()));
    return out;
  });

  // distAllReduce(tensors, op): in place, summed (or max/min/product) over ranks.
  defineEntry(env, exports, "distAllReduce", [](const Napi::CallbackInfo& info) -> napi_value {
    Group& g = current("allReduce");
    auto tensors = tensorsOf(info.Env(), info[0]);
    c10d::AllreduceOptions opts;
    opts.reduceOp = reduceOpOf(info[1].As<Napi::String>());
    finish(g, "allReduce", g.backend->allreduce(tensors, opts));
    return info.Env().Undefined();
  });

  // distBroadcast(tensors, root): in place, every rank gets root's values.
  defineEntry(env, exports, "distBroadcast", [](const Napi::CallbackInfo& info) -> napi_value {
    Group& g = current("broadcast");
    auto tensors = tensorsOf(info.Env(), info[0]);
    c10d::BroadcastOptions opts;
    opts.rootRank = info[1].As<Napi::Number>().Int32Value();
    if (opts.rootRank < 0 || opts.rootRank >= g.size) {
      throw JsError("broadcast: src must be a rank in [0, " + std::to_string(g.size) + "), got " +
                    std::to_string(opts.rootRank));
    }
    finish(g, "broadcast", g.backend->broadcast(tensors, opts));
    return info.Env().Undefined();
  });

  // distAllGather(tensor): a new tensor per rank, each a copy of that rank's.
  defineEntry(env, exports, "distAllGather", [](const Napi::CallbackInfo& info) -> napi_value {
    Group& g = current("allGather");
    std::vector<at::Tensor> input{tensorOf(info.Env(), info[0])};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < g.size; r++) output[0].push_back(at::empty_like(input[0]));
    finish(g, "allGather", g.backend->allgather(output, input));
    Napi::Array out = Napi::Array::New(info.Env(), g.size);
    for (int r = 0; r < g.size; r++) out.Set(r, Napi::Value(info.Env(), wrapTensor(info.Env(), output[0][r])));
    return out;
  });

  defineEntry(env, exports, "distBarrier", [](const Napi::CallbackInfo& info) -> napi_value {
    Group& g = current("barrier");
    finish(g, "barrier", g.backend->barrier());
    return info.Env().Undefined();
  });
#endif
}

}  // namespace lt
