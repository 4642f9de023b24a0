#!/bin/bash
# Device run of the scale series: ours (self-contained ImageSearch.Ann) and hnswlib 0.6.2 C++ (static) on the same CPU.
# Args: DIM-N specs, e.g. 100-1000000. Results to $OUT.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
R=${OUT:-/tmp/out}; mkdir -p "$R"
{ date -u; lscpu; nproc; free -g; uname -a; grep -m1 flags /proc/cpuinfo; } > "$R/machine.txt" 2>&1
grep -m1 "model name" /proc/cpuinfo
if grep -q avx512f /proc/cpuinfo; then P=$root/.devrun/hnswlib_bench_v4; else P=$root/.devrun/hnswlib_bench_v3; fi
T=$(nproc); B=$root/.devrun/ImageSearch.Ann
mkdir -p /tmp/fr/benchmarks/peers && touch /tmp/fr/benchmarks/peers/hnswlib_scale.py
cd /tmp/fr
for spec in "$@"; do
  dim=${spec%%-*}; n=${spec#*-}; d=/tmp/data/c$dim-$n
  echo "## $(date -u +%T) $spec"
  [ -f $d/gt.ivecs ] || $B synth --n $n --dim $dim --queries 1000 --seed 1 --metric cosine --out $d
  echo "## $(date -u +%T) scale $spec"
  $B scale --data $d --csv "$R/scale.csv" --threads $T --peer-cmd "$P --M 16 --efc 200 --threads $T --efs 10,20,40,80,120,200,300,400,600,800 --queries 1000"
  echo "## $(date -u +%T) done $spec"
done
