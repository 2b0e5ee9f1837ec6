{
  "variables": {
    "libtorch_include": [
      "/work/main/packages/torch/.libtorch/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64/include",
      "/work/main/packages/torch/.libtorch/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64/include/torch/csrc/api/include"
    ],
    "libtorch_lib": "/work/main/packages/torch/.libtorch/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64/lib",
    "libtorch_libraries": [
      "-lc10",
      "-ltorch_cpu",
      "-ltorch"
    ]
  }
}
