#!/usr/bin/env bash
# GPU check, one command from the repository root on a machine with an NVIDIA GPU:
#
#   scripts/gpu-check.sh
#
# 1. prints nvidia-smi and the Python torch's version and CUDA facts;
# 2. builds the native addon against that Python torch (LIBTORCH = its package folder);
# 3. compiles the TypeScript (node_modules/typescript) unless only a prebuilt dist/ came along;
# 4. runs the engine's CUDA tests (packages/torch/dist/test/cuda.test.js) and the
#    torch.distributed tests;
# 5. times a ResNet-20 training step (CIFAR-shaped, batch 128) and a LoT step (N = 2) on the GPU,
#    ours against PyTorch in alternating rounds (bench/gpu_step.mjs), medians and ratios;
# 6. all-reduces through torch.distributed over NCCL, one rank per GPU (bench/gpu_allreduce.mjs),
#    or says why it is skipped (no NCCL in the build).
# Figures go to stdout and, when OUT is set, to $OUT/gpu-check.txt (the whole transcript to
# $OUT/gpu-check.log). Exits non-zero if a step fails. Without a GPU it stops after the build with
# "no CUDA device: nothing to check" and exits 0 (if nvidia-smi sees a GPU that the engine cannot
# use, that is a failure).
#
# What it needs, and where it looks:
#   Python with torch (CUDA build): $LOT_PYTHON, else the first of python3 / python on PATH /
#     /opt/torch/.venv/bin/python whose torch has CUDA (else the first with any torch).
#     `python3` and `python` on PATH run it (node-gyp and the benchmarks use them); PYTHON is set to it.
#   Node 20: `node` on PATH, else $LOT_NODE_TARBALL, an .tar.xz of a Node installation that
#     travels with the project, unpacked into $TMPDIR. It must hold bin/node, include/node/
#     (headers, so node-gyp needs no download) and lib/node_modules/npm/ (node-gyp), as the
#     official node-v20.*-linux-x64.tar.xz does; from a Debian/NodeSource install:
#       tar -C /usr -cJf node.tar.xz bin/node include/node lib/node_modules/npm
#   node_modules/node-addon-api (the addon's C++ headers), and node_modules/typescript (plus
#     node_modules/@types) unless packages/*/dist/ is carried prebuilt.
#   A C++ compiler, make. Gloo's headers for torch.distributed: Debian's libgloo-dev, or
#     $LOT_GLOO_INCLUDE, a folder holding gloo/ (e.g. a copy of /usr/include/gloo), copied to
#     /usr/local/include when that is writable. NCCL's and CUDA's headers come from the torch
#     wheel's nvidia-* packages (or CUDA_HOME).
# Tunables: GPU_CHECK_ROUNDS (5), GPU_CHECK_STEPS (20), GPU_CHECK_LOT_STEPS (5), GPU_CHECK_BATCH
# (128), GPU_CHECK_STEP_TIMEOUT (seconds per step, 480), JOBS (compile jobs, default the core
# count), GPU_CHECK_DEVICE (cuda; `cpu` goes on without a GPU and runs the tests, the steps and a
# Gloo all-reduce on the CPU: a check of this script where no GPU is).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

REPORT=/dev/null
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  REPORT="$OUT/gpu-check.txt"
  : >"$REPORT"
fi

# A figure: to stdout and to the report.
fig() { printf '%s\n' "$*" | tee -a "$REPORT"; }
die() {
  fig "gpu-check: FAILED: $*"
  exit 1
}

FAILED=()
STEP_TIMEOUT="${GPU_CHECK_STEP_TIMEOUT:-480}"
DEVICE="${GPU_CHECK_DEVICE:-cuda}"

# Runs "$@" with the step timeout (when coreutils' timeout exists).
limited() {
  if command -v timeout >/dev/null 2>&1; then timeout --kill-after=10 "$STEP_TIMEOUT" "$@"; else "$@"; fi
}

pick_python() {
  if [ -n "${LOT_PYTHON:-}" ]; then
    echo "$LOT_PYTHON"
    return
  fi
  local c path first=""
  for c in python3 python /opt/torch/.venv/bin/python; do
    path="$(command -v "$c" 2>/dev/null)" || continue
    "$path" -c 'import torch' >/dev/null 2>&1 || continue
    [ -z "$first" ] && first="$path"
    if "$path" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' >/dev/null 2>&1; then
      echo "$path"
      return
    fi
  done
  echo "$first"
}

setup_node() {
  if command -v node >/dev/null 2>&1; then return; fi
  [ -n "${LOT_NODE_TARBALL:-}" ] || die "node is not on PATH and LOT_NODE_TARBALL (a .tar.xz of a Node installation) is not set"
  [ -f "$LOT_NODE_TARBALL" ] || die "LOT_NODE_TARBALL=$LOT_NODE_TARBALL does not exist"
  local dir="${TMPDIR:-/tmp}/lot-node"
  rm -rf "$dir" && mkdir -p "$dir"
  if ! tar -xJf "$LOT_NODE_TARBALL" -C "$dir" 2>/dev/null; then
    # No xz binary: Python's tarfile reads .tar.xz itself.
    "$PY" -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
try:
    t.extractall(sys.argv[2], filter="tar")
except TypeError:
    t.extractall(sys.argv[2])' "$LOT_NODE_TARBALL" "$dir" || die "cannot unpack $LOT_NODE_TARBALL"
  fi
  local bin
  bin="$(find "$dir" -type f -name node -path '*/bin/node' | head -n 1)"
  [ -n "$bin" ] || die "$LOT_NODE_TARBALL holds no bin/node"
  chmod +x "$bin"
  export PATH="$(dirname "$bin"):$PATH"
  fig "node: unpacked from $LOT_NODE_TARBALL into $dir"
}

# Runs a test file; its TAP summary goes to the report.
run_tests() {
  local name=$1 file=$2 log
  log="$(mktemp)"
  fig "== $name ($file)"
  limited node --test --test-reporter=tap "$file" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  grep -E '^ *not ok|# SKIP|^# (tests|pass|fail|skipped|cancelled) ' "$log" | sed 's/^ */  /' >>"$REPORT"
  rm -f "$log"
  if [ "$rc" -eq 0 ]; then fig "$name: ok"; else
    fig "$name: FAILED (exit $rc)"
    FAILED+=("$name")
  fi
}

# Runs a bench whose stdout is all figures.
run_bench() {
  local name=$1
  shift
  fig "== $name"
  limited "$@" | tee -a "$REPORT"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then fig "$name: ok"; else
    fig "$name: FAILED (exit $rc)"
    FAILED+=("$name")
  fi
}

main() {
  fig "gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), repository $ROOT"

  # ---------------------------------------------------------------- facts
  fig "== GPU"
  local gpus=0
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null | sed 's/^/  /' | tee -a "$REPORT"
    gpus="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')"
  else
    fig "nvidia-smi: not found"
  fi

  PY="$(pick_python)"
  [ -n "$PY" ] || die "no Python with torch found (set LOT_PYTHON, or put one on PATH; looked at python3, python, /opt/torch/.venv/bin/python)"
  export PYTHON="$PY"
  # `python3` and `python` mean this one for node-gyp, find-libtorch and the benchmarks: small
  # wrappers first on PATH (not its folder, which may hold another node).
  local shim
  shim="$(mktemp -d)"
  for name in python3 python; do
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$PY" >"$shim/$name"
    chmod +x "$shim/$name"
  done
  export PATH="$shim:$PATH"
  fig "== Python torch ($PY)"
  "$PY" - <<'EOF' 2>&1 | tee -a "$REPORT"
import sys, torch
print(f"python {sys.version.split()[0]}, torch {torch.__version__} at {torch.__file__.rsplit('/', 1)[0]}")
cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
try:
    nccl = ".".join(map(str, torch.cuda.nccl.version()))
except Exception:
    nccl = None
print(f"built with CUDA {torch.version.cuda}, cuDNN {cudnn}, NCCL {nccl}")
print(f"torch.cuda.is_available() {torch.cuda.is_available()}, device_count {torch.cuda.device_count()}")
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(f"  cuda:{i} {p.name}, {p.total_memory / 2**30:.1f} GiB, sm_{p.major}{p.minor}, {p.multi_processor_count} SMs")
dist = torch.distributed.is_available()
print(f"torch.distributed {dist}, NCCL backend {dist and torch.distributed.is_nccl_available()}")
EOF

  setup_node
  fig "node $(node --version) ($(command -v node)), $(c++ --version 2>/dev/null | head -n 1 || echo 'no c++ compiler')"

  # ---------------------------------------------------------------- build
  fig "== build"
  [ -d node_modules/node-addon-api ] || die "node_modules/node-addon-api is missing (carry it with the project, or npm install)"
  LIBTORCH="$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))')" || die "cannot locate torch's folder"
  export LIBTORCH
  export JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
  if [ -n "${LOT_GLOO_INCLUDE:-}" ] && [ -f "$LOT_GLOO_INCLUDE/gloo/config.h" ] && [ ! -f /usr/include/gloo/config.h ] &&
    [ ! -f /usr/local/include/gloo/config.h ]; then
    if mkdir -p /usr/local/include 2>/dev/null && cp -r "$LOT_GLOO_INCLUDE/gloo" /usr/local/include/; then
      fig "Gloo headers: copied from $LOT_GLOO_INCLUDE to /usr/local/include/gloo"
    else
      fig "Gloo headers: cannot copy $LOT_GLOO_INCLUDE/gloo to /usr/local/include (not writable)"
    fi
  fi
  fig "building the addon against LIBTORCH=$LIBTORCH with $JOBS jobs"
  local t0=$SECONDS
  node packages/torch/scripts/find-libtorch.mjs | tee -a "$REPORT" || die "find-libtorch failed"
  node packages/torch/scripts/build-native.mjs ||
    die "the native build failed (see above; offline, node-gyp needs Node's headers beside the node binary, in include/node)"
  fig "addon built in $((SECONDS - t0)) s"

  if [ -f node_modules/typescript/bin/tsc ]; then
    fig "compiling TypeScript (tsc -b)"
    if ! node node_modules/typescript/bin/tsc -b; then
      [ -f packages/torch/dist/test/cuda.test.js ] || die "tsc -b failed and there is no prebuilt dist/"
      fig "tsc -b: FAILED; going on with the dist/ there is"
      FAILED+=("tsc")
    fi
  elif [ -f packages/torch/dist/test/cuda.test.js ]; then
    fig "TypeScript: no node_modules/typescript; using the prebuilt dist/"
  else
    die "neither node_modules/typescript nor a prebuilt packages/torch/dist/ is here"
  fi

  # ---------------------------------------------------------------- CUDA or not
  local engine
  engine="$(node --input-type=module -e "
    import * as torch from './packages/torch/dist/src/index.js';
    const c = torch.cuda;
    console.log(JSON.stringify({ built: c.isBuilt(), available: c.isAvailable(), devices: c.deviceCount(),
      why: c.unavailableReason(), backends: torch.distributed.availableBackends(), torch: torch.buildInfo().torchVersion }));
  ")" || die "the engine does not load"
  fig "engine: $engine"
  if [[ "$engine" != *'"available":true'* ]]; then
    if [ "$gpus" -gt 0 ] 2>/dev/null; then
      die "nvidia-smi lists $gpus GPU(s) but the engine cannot use CUDA (see 'why' above): was it built against a CPU torch?"
    fi
    if [ "$DEVICE" != cpu ]; then
      fig "no CUDA device: nothing to check"
      exit 0
    fi
    fig "no CUDA device; GPU_CHECK_DEVICE=cpu: running the steps on the CPU (a check of this script)"
  fi

  # ---------------------------------------------------------------- tests
  run_tests "CUDA tests" packages/torch/dist/test/cuda.test.js
  run_tests "distributed tests" packages/torch/dist/test/distributed.test.js

  # ---------------------------------------------------------------- timings
  run_bench "ResNet-20 and LoT steps, ours vs PyTorch ($DEVICE)" node bench/gpu_step.mjs --device "$DEVICE" \
    --rounds "${GPU_CHECK_ROUNDS:-5}" --steps "${GPU_CHECK_STEPS:-20}" --lot-rounds "${GPU_CHECK_ROUNDS:-5}" \
    --lot-steps "${GPU_CHECK_LOT_STEPS:-5}" --batch "${GPU_CHECK_BATCH:-128}"
  if [ "$DEVICE" = cpu ]; then
    run_bench "all-reduce (gloo, GPU_CHECK_DEVICE=cpu)" node bench/gpu_allreduce.mjs --backend gloo --ranks 2 --mb 4 --iters 5
  else
    run_bench "NCCL all-reduce" node bench/gpu_allreduce.mjs --backend nccl
  fi

  if [ "${#FAILED[@]}" -gt 0 ]; then
    fig "gpu-check: FAILED steps: ${FAILED[*]}"
    exit 1
  fi
  fig "gpu-check: all steps passed"
}

if [ -n "${OUT:-}" ]; then
  main 2>&1 | tee "$OUT/gpu-check.log"
  exit "${PIPESTATUS[0]}"
fi
main
