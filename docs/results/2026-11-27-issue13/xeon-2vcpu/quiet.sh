#!/bin/bash
# Quiet-machine run for issue 13 (dev VM). Raw outputs to docs/results/2026-11-27-issue13/xeon-2vcpu.
set -u
cd /work/main
R=docs/results/2026-11-27-issue13/xeon-2vcpu; mkdir -p $R
A="dotnet benchmarks/ImageSearch.Ann/bin/Release/net10.0/ImageSearch.Ann.dll"
G="--base /tmp/glove100/base.fvecs --query /tmp/glove100/query.fvecs --gt /tmp/glove100/gt.ivecs --metric cosine"
log() { echo "# $(date -u +%FT%TZ) $(uptime)" | tee -a $R/steps.txt; }
{ date -u; lscpu; dotnet --version; } > $R/machine.txt 2>&1
export PEER_LABEL=hnswlib-debian PEER2_LABEL=hnswlib-native
export PEER2_CMD='.cache/peers/hnswlib_bench_v4 {dir} --M $SCALE_M --efc $SCALE_EFC --threads $SCALE_THREADS --efs $SCALE_EFS --metric $SCALE_METRIC --queries $SCALE_QUERIES'
log; echo "glove scale" >> $R/steps.txt
FAMILIES="glove-100" QUERIES=10000 THREADS=2 DATA=/tmp/scaledata bash benchmarks/scale.sh $R 100k 331479 > $R/scale-glove.txt 2>&1
log; echo "clustered scale" >> $R/steps.txt
FAMILIES="clustered-100 clustered-512" QUERIES=1000 THREADS=2 DATA=/tmp/scaledata bash benchmarks/scale.sh $R 100k > $R/scale-clustered.txt 2>&1
log; echo "int8 rerank glove (first ef 10 row = warm-up)" >> $R/steps.txt
$A $G --index hnsw --element i8 --rerank --M 16 --efc 200 --ef 10,10,20,40,80,120,200,300,400,600,800 --threads 2 --mode single --csv $R/glove-hnsw-i8rerank.csv > $R/glove-hnsw-i8rerank.txt 2>&1
log; echo "open exact" >> $R/steps.txt
$A open --base /tmp/glove100/base.fvecs --query /tmp/glove100/query.fvecs --index exact --rounds 3 --cold --csv $R/open-exact.csv > $R/open-exact.txt 2>&1
log; echo "open hnsw" >> $R/steps.txt
$A open --base /tmp/glove100/base.fvecs --query /tmp/glove100/query.fvecs --index hnsw --M 16 --efc 200 --rounds 3 --cold --threads 2 --csv $R/open-hnsw.csv > $R/open-hnsw.txt 2>&1
log; echo done >> $R/steps.txt
