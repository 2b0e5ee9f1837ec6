// Records in libtorch's pickle format (the zip layout of Python's torch.save),
// so Python's torch.load opens our files and we open torch.save's.
#include <sys/types.h>

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cstring>
#include <unordered_map>

#include "common.h"

namespace lt {
namespace {

// libtorch's unpickler turns collections.OrderedDict into None (it expects one
// only as a tensor's empty backward hooks), so the OrderedDict that Python's
// state_dict() returns cannot be loaded. This pass rewrites data.pkl so every
// `OrderedDict()` becomes an empty dict and drops the BUILD that attaches the
// state_dict's `_metadata`. It walks the opcodes with a shadow stack; on an
// opcode it does not know it gives up and the bytes go through unchanged.
std::string plainDicts(const char* data, size_t size) {
  enum Tag { Other, OdClass, OdInstance, EmptyTuple };
  struct Slot { Tag tag; size_t start; };
  std::vector<Slot> stack;
  std::vector<std::pair<size_t, size_t>> marks;  // stack size, output offset
  std::unordered_map<uint32_t, Tag> memo;
  std::string out;
  out.reserve(size);
  size_t pos = 0;
  const std::string original(data, size);
  auto need = [&](size_t n) { if (pos + n > size) throw std::out_of_range("pickle"); };
  auto u32 = [&](size_t at) { uint32_t v; std::memcpy(&v, data + at, 4); return v; };
  auto push = [&](Tag tag, size_t start) { stack.push_back({tag, start}); };
  auto pop = [&]() { if (stack.empty()) throw std::out_of_range("pickle"); Slot s = stack.back(); stack.pop_back(); return s; };
  auto popMark = [&]() {
    if (marks.empty() || marks.back().first > stack.size()) throw std::out_of_range("pickle");
    auto m = marks.back();
    marks.pop_back();
    stack.resize(m.first);
    return m.second;
  };
  try {
    while (pos < size) {
      const size_t at = pos;
      const size_t outAt = out.size();
      const auto op = static_cast<uint8_t>(data[pos++]);
      size_t arg = 0;  // bytes of argument after the opcode
      bool emit = true;
      switch (op) {
        case 0x80: arg = 1; break;                                    // PROTO
        case 'c': {                                                   // GLOBAL module\nname\n
          const char* nl1 = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
          if (!nl1) return original;
          const char* nl2 = static_cast<const char*>(std::memchr(nl1 + 1, '\n', size - (nl1 + 1 - data)));
          if (!nl2) return original;
          std::string module(data + pos, nl1), name(nl1 + 1, nl2);
          arg = nl2 + 1 - (data + pos);
          if (module == "collections" && name == "OrderedDict") { emit = false; push(OdClass, outAt); }
          else push(Other, outAt);
          break;
        }
        case 'q': case 'r': {                                         // BINPUT, LONG_BINPUT
          arg = op == 'q' ? 1 : 4;
          need(arg);
          uint32_t id = op == 'q' ? static_cast<uint8_t>(data[pos]) : u32(pos);
          if (stack.empty()) return original;
          memo[id] = stack.back().tag;
          if (stack.back().tag == OdClass) emit = false;
          break;
        }
        case 'h': case 'j': {                                         // BINGET, LONG_BINGET
          arg = op == 'h' ? 1 : 4;
          need(arg);
          uint32_t id = op == 'h' ? static_cast<uint8_t>(data[pos]) : u32(pos);
          Tag tag = memo.count(id) ? memo[id] : Other;
          if (tag == OdClass) emit = false;
          push(tag == EmptyTuple ? Other : tag, outAt);
          break;
        }
        case '(': marks.push_back({stack.size(), outAt}); break;     // MARK
        case ')': push(EmptyTuple, outAt); break;
        case ']': case '}': case 0x88: case 0x89: case 'N': push(Other, outAt); break;
        case 'K': arg = 1; push(Other, outAt); break;                 // BININT1
        case 'M': arg = 2; push(Other, outAt); break;                 // BININT2
        case 'J': arg = 4; push(Other, outAt); break;                 // BININT
        case 'G': arg = 8; push(Other, outAt); break;                 // BINFLOAT
        case 0x8a: need(1); arg = 1 + static_cast<uint8_t>(data[pos]); push(Other, outAt); break;  // LONG1
        case 'U': case 'C': case 0x8c: need(1); arg = 1 + static_cast<uint8_t>(data[pos]); push(Other, outAt); break;
        case 'X': case 'T': case 'B': need(4); arg = 4 + u32(pos); push(Other, outAt); break;
        case 't': case 'l': case 'd': push(Other, popMark()); break;  // TUPLE, LIST, DICT
        case 0x85: { Slot a = pop(); push(Other, a.start); break; }  // TUPLE1
        case 0x86: { pop(); Slot a = pop(); push(Other, a.start); break; }
        case 0x87: { pop(); pop(); Slot a = pop(); push(Other, a.start); break; }
        case 'a': pop(); break;                                        // APPEND
        case 's': pop(); pop(); break;                                 // SETITEM
        case 'e': case 'u': popMark(); break;                          // APPENDS, SETITEMS
        case 'Q': { Slot a = pop(); push(Other, a.start); break; }   // BINPERSID
        case 0x81: { pop(); Slot c = pop(); push(Other, c.start); break; }  // NEWOBJ
        case 'R': {                                                    // REDUCE
          Slot args = pop();
          Slot callable = pop();
          if (callable.tag == OdClass && args.tag == EmptyTuple) {
            out.resize(callable.start);
            out.push_back('}');
            emit = false;
            push(OdInstance, callable.start);
          } else {
            push(Other, callable.start);
          }
          break;
        }
        case 'b': {                                                    // BUILD
          Slot state = pop();
          if (stack.empty()) return original;
          if (stack.back().tag == OdInstance) {
            out.resize(state.start);
            emit = false;
          }
          break;
        }
        case '.': break;                                               // STOP
        default: return original;
      }
      need(arg);
      pos += arg;
      if (emit) out.append(data + at, pos - at);
      if (op == '.') break;
    }
  } catch (const std::out_of_range&) {
    return original;
  }
  return out;
}

// torch::jit::pickle_load, with data.pkl passed through plainDicts first. With `device`, every
// tensor is loaded there instead of where it was saved (Python's map_location=device).
c10::IValue loadRecord(const char* bytes, size_t size, std::optional<at::Device> device) {
  caffe2::serialize::PyTorchStreamReader reader(std::make_unique<caffe2::serialize::MemoryReadAdapter>(bytes, size));
  auto [pickle, pickleSize] = reader.getRecord("data.pkl");
  const std::string program = plainDicts(static_cast<const char*>(pickle.get()), pickleSize);
  size_t offset = 0;
  auto read = [&](char* buffer, size_t len) -> size_t {
    len = std::min(program.size() - offset, len);
    std::memcpy(buffer, program.data() + offset, len);
    offset += len;
    return len;
  };
  auto readRecord = [&](const std::string& name) { return std::get<0>(reader.getRecord("data/" + name)); };
  // The storage context makes tensors that name the same storage (views, tied weights in
  // Python's files) share it, as Python's torch.load does.
  torch::jit::Unpickler unpickler(read, nullptr, nullptr, readRecord, device, /*use_storage_device=*/false,
                                  torch::jit::Unpickler::defaultTypeParser,
                                  std::make_shared<torch::jit::DeserializationStorageContext>());
  unpickler.set_version(reader.version());
  return unpickler.parse_ivalue();
}

// Copies of every tensor in a record on one device, one copy per storage, so tensors that
// share memory (views, tied weights) still share it. A pickled tensor records its device, and
// a CUDA tensor's record loads only where CUDA is (libtorch refuses it, Python's torch.load
// needs map_location), so records are written from CPU copies, as torch.save(t.cpu()) would;
// and a record loaded with a CUDA map location is unpickled onto the CPU and moved here, since
// libtorch's unpickler moves each tensor on its own (views would stop sharing).
class DeviceCopies {
 public:
  explicit DeviceCopies(at::Device target) : target_(target) {}

  c10::IValue of(const c10::IValue& v) {
    if (!needsCopy(v)) return v;
    if (v.isTensor()) return tensor(v.toTensor());
    if (v.isList()) {
      auto list = v.toList();
      c10::impl::GenericList out(list.elementType());
      out.reserve(list.size());
      for (const c10::IValue& item : list) out.push_back(of(item));
      return out;
    }
    if (v.isTuple()) {
      std::vector<c10::IValue> items;
      for (const c10::IValue& item : v.toTupleRef().elements()) items.push_back(of(item));
      return c10::ivalue::Tuple::create(std::move(items));
    }
    auto dict = v.toGenericDict();
    c10::impl::GenericDict out(dict.keyType(), dict.valueType());
    for (const auto& item : dict) out.insert(item.key(), of(item.value()));
    return out;
  }

 private:
  at::Device target_;
  std::unordered_map<const c10::StorageImpl*, c10::Storage> storages_;

  bool moves(const at::Tensor& t) const {
    if (!t.defined() || t.layout() != at::kStrided || t.device().is_meta()) return false;
    return t.device().type() != target_.type() || (target_.has_index() && t.device() != target_);
  }
  bool needsCopy(const c10::IValue& v) const {
    if (v.isTensor()) return moves(v.toTensor());
    if (v.isList()) {
      for (const c10::IValue& item : v.toListRef())
        if (needsCopy(item)) return true;
      return false;
    }
    if (v.isTuple()) {
      for (const c10::IValue& item : v.toTupleRef().elements())
        if (needsCopy(item)) return true;
      return false;
    }
    if (v.isGenericDict()) {
      for (const auto& item : v.toGenericDict())
        if (needsCopy(item.value())) return true;
    }
    return false;
  }

  at::Tensor tensor(const at::Tensor& original) {
    at::NoGradGuard noGrad;
    // Conjugate and negative views are flags, not data: materialize them (a new storage).
    const at::Tensor t = original.resolve_conj().resolve_neg();
    const c10::StorageImpl* key = t.storage().unsafeGetStorageImpl();
    auto found = storages_.find(key);
    if (found == storages_.end()) {
      // The whole storage as bytes, copied once.
      const auto nbytes = static_cast<int64_t>(t.storage().nbytes());
      at::Tensor bytes = at::empty({0}, t.options().dtype(at::kByte)).set_(t.storage(), 0, {nbytes}, {1});
      found = storages_.emplace(key, bytes.to(target_).storage()).first;
    }
    const c10::Storage& storage = found->second;
    at::Tensor copy = at::empty({0}, t.options().device(storage.device())).set_(storage, t.storage_offset(), t.sizes(), t.strides());
    if (original.requires_grad()) copy.set_requires_grad(true);
    return copy;
  }
};

// torch::jit::pickle_save without type tags on dicts and lists: libtorch's
// default tags them with torch.jit._pickle.restore_type_tag, a global that
// Python's torch.load(weights_only=True), the default since torch 2.6, refuses.
std::vector<char> saveRecord(const c10::IValue& value) {
  std::vector<char> program;
  torch::jit::Pickler pickler([&](const char* buffer, size_t n) { program.insert(program.end(), buffer, buffer + n); },
                              nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> container;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
    container.insert(container.end(), static_cast<const char*>(bytes), static_cast<const char*>(bytes) + n);
    return n;
  });
  size_t i = 0;
  for (const auto& tensor : pickler.tensorData()) {
    auto data = torch::jit::getWriteableTensorData(tensor);
    writer.writeRecord("data/" + std::to_string(i++), data.data(), data.sizeInBytes());
  }
  writer.writeRecord("data.pkl", program.data(), program.size());
  writer.writeEndOfFile();
  return container;
}

}  // namespace

void registerSerializeEntries(Napi::Env env, Napi::Object exports) {
  // pickleSave(value) -> Buffer: nested objects, arrays, numbers, strings, booleans, null,
  // tensors (those on a GPU written from CPU copies).
  defineEntry(env, exports, "pickleSave", [](const Napi::CallbackInfo& info) -> napi_value {
    std::vector<char> bytes = saveRecord(DeviceCopies(at::kCPU).of(jsToIValue(info.Env(), info[0])));
    return Napi::Buffer<char>::Copy(info.Env(), bytes.data(), bytes.size());
  });
  // pickleLoad(bytes, device?) -> value; with a device string, every tensor is loaded there.
  defineEntry(env, exports, "pickleLoad", [](const Napi::CallbackInfo& info) -> napi_value {
    if (!info[0].IsTypedArray()) throw JsError("expected the file's bytes as a Buffer");
    Napi::Uint8Array view = info[0].As<Napi::Uint8Array>();
    const char* bytes = reinterpret_cast<const char*>(view.Data());
    if (info.Length() < 2 || !info[1].IsString()) return ivalueToJs(info.Env(), loadRecord(bytes, view.ByteLength(), std::nullopt));
    const at::Device device(info[1].As<Napi::String>().Utf8Value());
    if (device.is_cpu()) return ivalueToJs(info.Env(), loadRecord(bytes, view.ByteLength(), device));
    return ivalueToJs(info.Env(), DeviceCopies(device).of(loadRecord(bytes, view.ByteLength(), at::Device(at::kCPU))));
  });
}

}  // namespace lt
