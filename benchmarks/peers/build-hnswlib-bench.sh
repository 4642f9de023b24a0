#!/usr/bin/env bash
# Builds benchmarks/peers/hnswlib_bench.cpp against Debian's hnswlib headers (apt-get install -y libhnswlib-dev, 0.6.2).
# Two static binaries: -march=x86-64-v3 (AVX2/FMA) and -march=x86-64-v4 (AVX-512), so one build runs on any CPU it is
# carried to; pick v4 where /proc/cpuinfo lists avx512f. Output: $1 (default .cache/peers).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.cache/peers}"
mkdir -p "$out"
[ -f /usr/include/hnswlib/hnswlib.h ] || { echo "needs libhnswlib-dev (apt-get install -y libhnswlib-dev)" >&2; exit 1; }
for level in v3 v4; do
  g++ -O3 -march=x86-64-$level -std=c++17 -static -pthread -Wno-unused-result \
    -o "$out/hnswlib_bench_$level" benchmarks/peers/hnswlib_bench.cpp
done
ls -la "$out"
