{
  "includes": ["native/libtorch.gypi"],
  "targets": [
    {
      "target_name": "lot_torch",
      "sources": [
        "native/addon.cc",
        "native/handle.cc",
        "native/convert.cc",
        "native/op_bridge.cc",
        "native/tensor_entry.cc",
        "native/autograd_entry.cc",
        "native/serialize_entry.cc",
        "native/distributed_entry.cc",
        "native/cuda_entry.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<@(libtorch_include)"],
      "defines": ["<@(libtorch_defines)", "NAPI_EXPERIMENTAL", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "_GLIBCXX_USE_CXX11_ABI=1"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++20", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["-L<(libtorch_lib)", "<@(libtorch_libraries)", "-Wl,-rpath,<(libtorch_lib)"]
    }
  ]
}
