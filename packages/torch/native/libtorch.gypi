{
  "variables": {
    "libtorch_include": [
      "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/torch/include",
      "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/torch/include/torch/csrc/api/include"
    ],
    "libtorch_lib": "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/torch/lib",
    "libtorch_libraries": [
      "-lc10",
      "-ltorch_cpu",
      "-ltorch"
    ]
  }
}
