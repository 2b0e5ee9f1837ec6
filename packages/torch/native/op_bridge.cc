// One generic bridge to libtorch's operator dispatcher: every ATen operator is
// reachable by its schema name. Arguments are converted by the schema's types
// (computed once per operator) and the operator runs through callBoxed, which
// includes autograd. In-place returns hand back the caller's own handle.
#include <ATen/core/dispatch/Dispatcher.h>

#include <cmath>
#include <unordered_map>
#include <vector>

#include "common.h"

namespace lt {

// cuda_entry.cc: refuses a CUDA device this machine does not have, with a clear message.
void requireDeviceAvailable(const c10::Device& device);

namespace {

enum class Kind {
  Tensor, TensorList, OptionalTensorList, Int, IntList, Float, FloatList, Bool, BoolList,
  Scalar, String, Device, Generator, Unsupported
};

struct ArgSpec {
  Kind kind;
  bool optional;
  int64_t fixedLength;  // N of int[N]; 0 if free
  std::optional<c10::IValue> defaultValue;
  std::string name;
};

struct OpEntry {
  c10::OperatorHandle handle;
  std::string qualifiedName;  // aten::add.Tensor
  std::vector<ArgSpec> args;
  std::vector<int> returnAliasesArg;  // per return: index of the mutated arg it returns, or -1
};

std::vector<OpEntry> registry;
std::unordered_map<std::string, int> idsByName;

Kind kindOf(const c10::TypePtr& type, bool& optional) {
  c10::TypePtr t = type;
  optional = false;
  if (t->kind() == c10::TypeKind::OptionalType) {
    optional = true;
    t = t->expectRef<c10::OptionalType>().getElementType();
  }
  switch (t->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType: return Kind::Int;
    case c10::TypeKind::FloatType:
    case c10::TypeKind::SymFloatType: return Kind::Float;
    case c10::TypeKind::BoolType:
    case c10::TypeKind::SymBoolType: return Kind::Bool;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::StringType: return Kind::String;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      const c10::TypePtr& elem = t->expectRef<c10::ListType>().getElementType();
      switch (elem->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return Kind::IntList;
        case c10::TypeKind::FloatType: return Kind::FloatList;
        case c10::TypeKind::BoolType: return Kind::BoolList;
        case c10::TypeKind::TensorType: return Kind::TensorList;
        case c10::TypeKind::OptionalType:
          if (elem->expectRef<c10::OptionalType>().getElementType()->kind() == c10::TypeKind::TensorType)
            return Kind::OptionalTensorList;
          return Kind::Unsupported;
        default: return Kind::Unsupported;
      }
    }
    default: return Kind::Unsupported;
  }
}

int64_t toInt64(napi_env env, napi_value v, const ArgSpec& spec) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    bool b;
    if (napi_get_value_bool(env, v, &b) == napi_ok) return b ? 1 : 0;
    throw JsError("argument '" + spec.name + "' must be an integer, got " + describeJs(env, v));
  }
  if (d != std::trunc(d) || !std::isfinite(d))
    throw JsError("argument '" + spec.name + "' must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double toDouble(napi_env env, napi_value v, const ArgSpec& spec) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok)
    throw JsError("argument '" + spec.name + "' must be a number, got " + describeJs(env, v));
  return d;
}

bool toBool(napi_env env, napi_value v, const ArgSpec& spec) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok)
    throw JsError("argument '" + spec.name + "' must be a boolean, got " + describeJs(env, v));
  return b;
}

template <typename F>
void forEachElement(napi_env env, napi_value v, const ArgSpec& spec, F&& f) {
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) throw JsError("argument '" + spec.name + "' must be an array, got " + describeJs(env, v));
  uint32_t n;
  napi_get_array_length(env, v, &n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value item;
    napi_get_element(env, v, i, &item);
    f(item);
  }
}

c10::IValue convertArg(napi_env env, napi_value v, const ArgSpec& spec) {
  // Fast paths for the common kinds: one Node-API call, no napi_typeof.
  switch (spec.kind) {
    case Kind::Tensor:
      if (TensorHolder* h = liveHolderOrNull(env, v)) return h->tensor;
      break;
    case Kind::Float: {
      double d;
      if (napi_get_value_double(env, v, &d) == napi_ok) return d;
      break;
    }
    case Kind::Int: {
      double d;
      if (napi_get_value_double(env, v, &d) == napi_ok && d == std::trunc(d) && std::isfinite(d)) return static_cast<int64_t>(d);
      break;
    }
    case Kind::Scalar: {
      double d;
      if (napi_get_value_double(env, v, &d) == napi_ok) {
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.007199254740992e15)
          return c10::Scalar(static_cast<int64_t>(d));
        return c10::Scalar(d);
      }
      break;
    }
    default: break;
  }
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_undefined) {
    if (spec.defaultValue) return *spec.defaultValue;
    if (spec.optional) return c10::IValue();
    throw JsError("missing argument '" + spec.name + "'");
  }
  if (type == napi_null) {
    if (spec.optional) return c10::IValue();
    throw JsError("argument '" + spec.name + "' cannot be null");
  }
  switch (spec.kind) {
    case Kind::Tensor: return holderOf(env, v)->tensor;
    case Kind::Int: return toInt64(env, v, spec);
    case Kind::Float: return toDouble(env, v, spec);
    case Kind::Bool: return toBool(env, v, spec);
    case Kind::Scalar: {
      if (type == napi_boolean) return c10::Scalar(toBool(env, v, spec));
      double d = toDouble(env, v, spec);
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.007199254740992e15)
        return c10::Scalar(static_cast<int64_t>(d));
      return c10::Scalar(d);
    }
    case Kind::IntList: {
      std::vector<int64_t> values;
      if (type == napi_number) {
        values.assign(spec.fixedLength > 0 ? spec.fixedLength : 1, toInt64(env, v, spec));
      } else {
        forEachElement(env, v, spec, [&](napi_value item) { values.push_back(toInt64(env, item, spec)); });
      }
      return values;
    }
    case Kind::FloatList: {
      std::vector<double> values;
      if (type == napi_number) values.assign(spec.fixedLength > 0 ? spec.fixedLength : 1, toDouble(env, v, spec));
      else forEachElement(env, v, spec, [&](napi_value item) { values.push_back(toDouble(env, item, spec)); });
      return values;
    }
    case Kind::BoolList: {
      c10::List<bool> values;
      if (type == napi_boolean) {
        for (int64_t i = 0; i < std::max<int64_t>(spec.fixedLength, 1); ++i) values.push_back(toBool(env, v, spec));
      } else {
        forEachElement(env, v, spec, [&](napi_value item) { values.push_back(toBool(env, item, spec)); });
      }
      return values;
    }
    case Kind::TensorList: {
      c10::List<at::Tensor> values;
      forEachElement(env, v, spec, [&](napi_value item) { values.push_back(holderOf(env, item)->tensor); });
      return values;
    }
    case Kind::OptionalTensorList: {
      c10::List<std::optional<at::Tensor>> values;
      forEachElement(env, v, spec, [&](napi_value item) {
        napi_valuetype t;
        napi_typeof(env, item, &t);
        if (t == napi_null || t == napi_undefined) values.push_back(std::nullopt);
        else values.push_back(holderOf(env, item)->tensor);
      });
      return values;
    }
    case Kind::String: {
      if (type != napi_string) throw JsError("argument '" + spec.name + "' must be a string, got " + describeJs(env, v));
      return Napi::String(env, v).Utf8Value();
    }
    case Kind::Device: {
      if (type == napi_string) {
        c10::Device device(Napi::String(env, v).Utf8Value());
        requireDeviceAvailable(device);
        return device;
      }
      throw JsError("argument '" + spec.name + "' must be a device string such as 'cpu' or 'cuda:0'");
    }
    case Kind::Generator: throw JsError("argument '" + spec.name + "': pass no generator (the default one is used)");
    case Kind::Unsupported: break;
  }
  throw JsError("argument '" + spec.name + "' has a type the bridge does not support");
}

int resolve(const std::string& name, const std::string& overload) {
  std::string key = overload.empty() ? name : name + "." + overload;
  auto found = idsByName.find(key);
  if (found != idsByName.end()) return found->second;
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) throw JsError("unknown operator " + key);
  const c10::FunctionSchema& schema = handle->schema();
  OpEntry entry{*handle, key, {}, {}};
  for (const auto& arg : schema.arguments()) {
    ArgSpec spec;
    spec.kind = kindOf(arg.type(), spec.optional);
    spec.fixedLength = arg.N().value_or(0);
    spec.defaultValue = arg.default_value();
    spec.name = arg.name();
    entry.args.push_back(std::move(spec));
  }
  for (const auto& ret : schema.returns()) {
    int alias = -1;
    if (ret.alias_info() && ret.alias_info()->isWrite()) {
      for (size_t i = 0; i < schema.arguments().size(); ++i) {
        const auto* info = schema.arguments()[i].alias_info();
        if (info && info->isWrite() && info->beforeSets() == ret.alias_info()->beforeSets()) {
          alias = static_cast<int>(i);
          break;
        }
      }
    }
    entry.returnAliasesArg.push_back(alias);
  }
  registry.push_back(std::move(entry));
  int id = static_cast<int>(registry.size() - 1);
  idsByName.emplace(key, id);
  return id;
}

constexpr size_t kMaxArgs = 40;

// Argument stacks are reused across calls (one per nesting depth, in case an
// operator ever calls back into JavaScript), so a call allocates no vector.
thread_local std::vector<torch::jit::Stack>& stackPool = *new std::vector<torch::jit::Stack>();
thread_local size_t stackDepth = 0;

struct PooledStack {
  torch::jit::Stack& stack;
  PooledStack() : stack(acquire()) {}
  ~PooledStack() {
    stack.clear();
    --stackDepth;
  }
  static torch::jit::Stack& acquire() {
    if (stackPool.size() <= stackDepth) stackPool.resize(stackDepth + 1);
    return stackPool[stackDepth++];
  }
};

napi_value callOp(napi_env env, napi_callback_info info) {
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t id = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &id) != napi_ok || id < 0 ||
      static_cast<size_t>(id) >= registry.size()) {
    napi_throw_error(env, nullptr, "callOp: the first argument must be an operator id from resolveOp");
    return nullptr;
  }
  OpEntry& op = registry[id];
  return guarded(env, op.qualifiedName.c_str(), [&]() -> napi_value {
    size_t given = argc - 1;
    const size_t nargs = op.args.size();
    if (given > nargs)
      throw JsError("takes " + std::to_string(nargs) + " arguments, got " + std::to_string(given));
    napi_value undefinedValue = nullptr;
    if (given < nargs) napi_get_undefined(env, &undefinedValue);
    PooledStack pooled;
    torch::jit::Stack& stack = pooled.stack;
    stack.reserve(nargs);
    for (size_t i = 0; i < nargs; ++i) stack.push_back(convertArg(env, i < given ? argv[i + 1] : undefinedValue, op.args[i]));
    op.handle.callBoxed(stack);
    auto convertReturn = [&](size_t i) -> napi_value {
      int alias = op.returnAliasesArg[i];
      if (alias >= 0 && static_cast<size_t>(alias) < given) return argv[alias + 1];
      if (stack[i].isTensor()) return wrapTensor(env, std::move(stack[i]).toTensor());
      return ivalueToJs(env, stack[i]);
    };
    if (stack.size() == 1) return convertReturn(0);
    napi_value result;
    if (stack.empty()) {
      napi_get_undefined(env, &result);
      return result;
    }
    napi_create_array_with_length(env, stack.size(), &result);
    for (size_t i = 0; i < stack.size(); ++i) napi_set_element(env, result, i, convertReturn(i));
    return result;
  });
}

}  // namespace

void registerOpBridge(Napi::Env env, Napi::Object exports) {
  defineEntry(env, exports, "resolveOp", [](const Napi::CallbackInfo& info) -> napi_value {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    return Napi::Number::New(info.Env(), resolve(name, overload));
  });
  defineEntry(env, exports, "opSchema", [](const Napi::CallbackInfo& info) -> napi_value {
    int id = info[0].As<Napi::Number>().Int32Value();
    if (id < 0 || static_cast<size_t>(id) >= registry.size()) throw JsError("no operator with id " + std::to_string(id));
    std::ostringstream out;
    out << registry[id].handle.schema();
    return Napi::String::New(info.Env(), out.str());
  });
  defineEntry(env, exports, "listOps", [](const Napi::CallbackInfo& info) -> napi_value {
    auto names = c10::Dispatcher::singleton().getAllOpNames();
    Napi::Array out = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      std::string key = names[i].name + (names[i].overload_name.empty() ? "" : "." + names[i].overload_name);
      out.Set(i, key);
    }
    return out;
  });
  napi_value fn;
  napi_create_function(env, "callOp", NAPI_AUTO_LENGTH, callOp, nullptr, &fn);
  exports.Set("callOp", Napi::Value(env, fn));
}

}  // namespace lt
