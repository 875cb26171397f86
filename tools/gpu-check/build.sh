#!/usr/bin/env bash
# Builds the GPU check for a bare machine: a self-contained, compressed single file (the ilgpu engine, no libtorch,
# no .NET needed there) plus run.sh and the PyTorch peer, in tools/gpu-check/out (or $1). Fails above 60 MiB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
rm -rf "$out"
dotnet publish "$here/SaeAlign.GpuCheck.csproj" -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:DebugType=none -o "$out" --nologo -v quiet
cp "$here/run.sh" "$here/topk_step.py" "$out/"
bytes=$(du -cb "$out" | tail -1 | cut -f1)
echo "gpu-check artifact: $out ($((bytes / 1024 / 1024)) MiB)"
[ "$bytes" -le $((60 * 1024 * 1024)) ] || { echo "the artifact exceeds 60 MiB"; exit 1; }
