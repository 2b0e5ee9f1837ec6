// Generic conversions between JavaScript values and libtorch IValues, used for
// operator returns and for pickled records (nested lists, dicts, tensors, numbers).
#include <cmath>

#include "common.h"

namespace lt {

napi_value ivalueToJs(napi_env env, const c10::IValue& v) {
  Napi::Env e(env);
  if (v.isNone()) return e.Null();
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isDouble()) return Napi::Number::New(e, v.toDouble());
  if (v.isInt()) return Napi::Number::New(e, static_cast<double>(v.toInt()));
  if (v.isSymInt()) return Napi::Number::New(e, static_cast<double>(v.toSymInt().guard_int(__FILE__, __LINE__)));
  if (v.isBool()) return Napi::Boolean::New(e, v.toBool());
  if (v.isString()) return Napi::String::New(e, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(e, v.toDevice().str());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    Napi::Array out = Napi::Array::New(e, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(i, Napi::Value(e, wrapTensor(env, list.get(i))));
    return out;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    Napi::Array out = Napi::Array::New(e, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(i, Napi::Value(e, ivalueToJs(env, list[i])));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(e, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) out.Set(i, Napi::Value(e, ivalueToJs(env, elems[i])));
    return out;
  }
  if (v.isGenericDict()) {
    Napi::Object out = Napi::Object::New(e);
    for (const auto& item : v.toGenericDict()) {
      const c10::IValue& key = item.key();
      std::string name = key.isString() ? key.toStringRef()
                         : key.isInt()  ? std::to_string(key.toInt())
                                        : throw JsError("dictionary keys must be strings or integers, got " + key.tagKind());
      out.Set(name, Napi::Value(e, ivalueToJs(env, item.value())));
    }
    return out;
  }
  throw JsError("cannot convert a value of kind " + v.tagKind() + " to JavaScript");
}

c10::IValue jsToIValue(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  switch (type) {
    case napi_undefined:
    case napi_null: return c10::IValue();
    case napi_boolean: return Napi::Boolean(env, value).Value();
    case napi_number: {
      double d = Napi::Number(env, value).DoubleValue();
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.007199254740992e15) return static_cast<int64_t>(d);
      return d;
    }
    case napi_string: return Napi::String(env, value).Utf8Value();
    case napi_external: return holderOf(env, value)->tensor;
    case napi_object: {
      Napi::Object obj(env, value);
      if (obj.IsArray()) {
        Napi::Array arr = obj.As<Napi::Array>();
        c10::impl::GenericList list(c10::AnyType::get());
        list.reserve(arr.Length());
        for (uint32_t i = 0; i < arr.Length(); ++i) list.push_back(jsToIValue(env, arr.Get(i)));
        return list;
      }
      c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
      Napi::Array keys = obj.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
        dict.insert(key, jsToIValue(env, obj.Get(key)));
      }
      return dict;
    }
    default: throw JsError("cannot store " + describeJs(env, value) + " in a record");
  }
}

}  // namespace lt
