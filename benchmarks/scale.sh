#!/usr/bin/env bash
# The scale series of issue 13 goal 5: for each size, make the data, run ours and the peer (ImageSearch.Ann scale),
# then plot. Usage: benchmarks/scale.sh RESULTS_DIR SIZE... (sizes as 20k, 100k, 1M, 2M, 5M or plain numbers)
# Environment (defaults in brackets):
#   FAMILIES   datasets to run ["glove-100 clustered-100 clustered-512"]
#   DATA       where the datasets go [RESULTS_DIR/data]; a dataset dir with gt.ivecs is reused, not remade
#   GLOVE      the full GloVe-100 split from ../shared/tools/glove_prep.py [/tmp/glove100]; made if missing
#   QUERIES    queries per dataset [10000]      THREADS  build threads [all cores]
#   MAX512     largest n for clustered-512 [2000000] (5M x 512 f32 is 10 GB per copy: the base, our index and
#              hnswlib's would not fit in 24 GiB together)
#   PEER_CMD   the peer (see ImageSearch.Ann scale --help) [benchmarks/peers/hnswlib_scale.py]; PEER_LABEL its rows' name
#   PEER2_CMD  a second peer, run after the first with the same settings (scale --no-ours); PEER2_LABEL [hnswlib-cpp]
#              e.g. PEER2_CMD='.cache/peers/hnswlib_bench_v4 {dir} --M $SCALE_M --efc $SCALE_EFC --threads $SCALE_THREADS
#                   --efs $SCALE_EFS --metric $SCALE_METRIC --queries $SCALE_QUERIES'
#              (in single quotes: the peer's own shell expands them)
# Writes RESULTS_DIR/scale.csv (appended), RESULTS_DIR/scale.svg and RESULTS_DIR/logs/.
set -euo pipefail
if [ $# -lt 2 ]; then sed -n '2,16p' "$0"; exit 2; fi
cd "$(dirname "$0")/.."
RESULTS=$(realpath -m "$1"); shift
DATA=${DATA:-$RESULTS/data}
GLOVE=${GLOVE:-/tmp/glove100}
QUERIES=${QUERIES:-10000}
THREADS=${THREADS:-$(nproc)}
MAX512=${MAX512:-2000000}
FAMILIES=${FAMILIES:-"glove-100 clustered-100 clustered-512"}
mkdir -p "$RESULTS/logs" "$DATA"

dotnet build benchmarks/ImageSearch.Ann/ImageSearch.Ann.csproj -c Release -v quiet -nologo
ann() { dotnet run --no-build -c Release --project benchmarks/ImageSearch.Ann -- "$@"; }

count() { # 100k -> 100000, 2M -> 2000000
  case $1 in *k) echo $(( ${1%k} * 1000 ));; *M) echo $(( ${1%M} * 1000000 ));; *) echo "$1";; esac
}

step() { # NAME COMMAND...: runs and logs it with the load average before and after, and its seconds
  local name=$1; shift
  local start=$SECONDS
  { echo "# $(date -u +%FT%TZ) $(uptime)"; "$@"; echo "# $(date -u +%FT%TZ) $(uptime)"; } 2>&1 | tee "$RESULTS/logs/$name.log"
  echo "# step $name: $((SECONDS - start)) s" | tee -a "$RESULTS/logs/steps.txt"
}

for size in "$@"; do
  n=$(count "$size")
  for family in $FAMILIES; do
    dir=$DATA/$family-$size
    case $family in
      glove-100)
        [ -f "$GLOVE/gt.ivecs" ] || /usr/bin/python3 ../shared/tools/glove_prep.py "$GLOVE"
        total=$(( $(stat -c %s "$GLOVE/base.fvecs") / 404 ))
        if [ "$n" -gt "$total" ]; then echo "# skip $family $size: the split has $total base vectors"; continue; fi
        [ -f "$dir/gt.ivecs" ] || step "data-$family-$size" ann subset --from "$GLOVE" --limit "$n" --out "$dir" --queries "$QUERIES" --family glove-100 --metric cosine ;;
      clustered-*)
        dim=${family#clustered-}
        if [ "$dim" -ge 512 ] && [ "$n" -gt "$MAX512" ]; then echo "# skip $family $size: above MAX512=$MAX512"; continue; fi
        [ -f "$dir/gt.ivecs" ] || step "data-$family-$size" ann synth --n "$n" --dim "$dim" --queries "$QUERIES" --seed 1 --metric cosine --out "$dir" ;;
      *) echo "unknown family $family" >&2; exit 2 ;;
    esac
    step "scale-$family-$size" ann scale --data "$dir" --csv "$RESULTS/scale.csv" --threads "$THREADS" --queries "$QUERIES" \
      ${PEER_CMD:+--peer-cmd "$PEER_CMD"} ${PEER_LABEL:+--peer-label "$PEER_LABEL"}
    if [ -n "${PEER2_CMD:-}" ]; then
      step "peer2-$family-$size" ann scale --no-ours --data "$dir" --csv "$RESULTS/scale.csv" --threads "$THREADS" --queries "$QUERIES" \
        --peer-cmd "$PEER2_CMD" --peer-label "${PEER2_LABEL:-hnswlib-cpp}"
    fi
  done
done

step plot ann plot --csv "$RESULTS/scale.csv" --out "$RESULTS/scale.svg"
