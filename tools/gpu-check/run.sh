#!/usr/bin/env bash
# On the GPU machine, from the built artifact's folder: ./run.sh [--d-in N --d-sae N --k N --batch N --steps N]
# (a) the ilgpu engine (topk and paper-toy) on CUDA against ILGPU's CPU accelerator, (b) its TopK step and loss kernels at the given
# size (default d_in 2048, d_sae 65536, k 32, batch 4096), (c) the same step in PyTorch (dense and sparse decode),
# then the ratios. Needs the NVIDIA driver, and python3 with torch for (c).
set -uo pipefail
cd "$(dirname "$0")"
results=$(mktemp)
./saealign-gpu-check check | tee -a "$results"
./saealign-gpu-check bench "$@" | tee -a "$results"
python3 topk_step.py "$@" | tee -a "$results"
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line.split("result: ", 1)[1]) for line in open(sys.argv[1]) if line.startswith("result: ")]
by = {r.get("bench"): r for r in rows if "bench" in r}
if "ilgpu" in by:
    for peer in ("pytorch-dense", "pytorch-sparse"):
        if peer in by:
            print(f"ilgpu step / {peer} step: {by['ilgpu']['stepMs'] / by[peer]['stepMs']:.2f}x "
                  f"({by['ilgpu']['stepMs']:.2f} ms vs {by[peer]['stepMs']:.2f} ms)")
    print(f"ilgpu encoder GEMM: {by['ilgpu']['gemmMs']:.2f} ms of the {by['ilgpu']['stepMs']:.2f} ms step, {by['ilgpu']['gemmTflops']:.1f} TFLOP/s")
    if by["ilgpu"].get("peakGBs"):
        print(f"loss kernels: {by['ilgpu']['bandwidthGBs']:.0f} GB/s, {by['ilgpu']['bandwidthGBs'] / by['ilgpu']['peakGBs']:.0%} of the {by['ilgpu']['peakGBs']:.0f} GB/s peak")
PY
