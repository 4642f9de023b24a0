#!/usr/bin/env bash
# Shared helpers for the fetch scripts. Source it: . "$(dirname "$0")/lib.sh"

# Repository root (the folder above scripts/).
repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

# Cache root: $IMAGESEARCH_CACHE, else <repo>/.cache (git-ignored). Same rule as the C# code.
cache_root() { printf '%s\n' "${IMAGESEARCH_CACHE:-$(repo_root)/.cache}"; }

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# npm-style Subresource Integrity of a file: "sha512-<base64>". Uses node (always present beside npm).
sri_sha512() {
  node -e 'const c=require("crypto"),f=require("fs");const h=c.createHash("sha512");
    const s=f.createReadStream(process.argv[1]);s.on("data",d=>h.update(d));
    s.on("end",()=>console.log("sha512-"+h.digest("base64")));s.on("error",e=>{console.error(e.message);process.exit(1)});' "$1"
}

# Fetches an npm package tarball with `npm pack` into a folder, verifying its pinned integrity.
# Usage: npm_pack_verified <name@version> <dest-dir> <tarball-file-name> <sha512-integrity>
npm_pack_verified() {
  local spec=$1 dest=$2 file=$3 want=$4 got
  mkdir -p "$dest"
  if [[ -f "$dest/$file" ]]; then
    got=$(sri_sha512 "$dest/$file")
    if [[ "$got" == "$want" ]]; then log "have $file (integrity ok)"; return 0; fi
    log "existing $file has the wrong integrity ($got); fetching again"
    rm -f "$dest/$file"
  fi
  command -v npm >/dev/null || die "npm is not installed (needed to fetch $spec)"
  local tmp; tmp=$(mktemp -d "$dest/.pack.XXXXXX")
  log "npm pack $spec (this downloads the tarball from the npm registry)"
  (cd "$tmp" && npm pack "$spec" --silent >/dev/null) || { rm -rf "$tmp"; die "npm pack $spec failed"; }
  [[ -f "$tmp/$file" ]] || { rm -rf "$tmp"; die "npm pack did not produce $file"; }
  got=$(sri_sha512 "$tmp/$file")
  if [[ "$got" != "$want" ]]; then rm -rf "$tmp"; die "$file integrity mismatch: got $got, want $want"; fi
  mv -f "$tmp/$file" "$dest/$file"
  rm -rf "$tmp"
  log "fetched $file (integrity ok)"
}
