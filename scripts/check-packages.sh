#!/usr/bin/env bash
# Checks the packages as a user meets them (run by .ci/run after the tests; a few minutes):
#  1. packs ImageSearch, ImageSearch.Embeddings, ImageSearch.VectorData, ImageSearch.Orleans and ImageSearch.Cli into artifacts/packages,
#     with no warnings (package validation included);
#  2. installs the imagesearch tool from that feed into a temporary tool path and, from a temporary folder with an
#     empty cache (IMAGESEARCH_CACHE), runs words, index, similar, train-devise, search and tags on the Pascal photos,
#     checking exit codes and the --json output;
#  3. builds samples/ImageSearch.PackageConsumer against the packed packages (a local feed, not project references)
#     and runs it; it exits non-zero when one of its checks fails;
#  4. the same for samples/ImageSearch.VectorData.Sample (photos and captions through Microsoft.Extensions.VectorData,
#     10 photos per class with the captions in the sentence folder beside the photos).
# Needs jq. Skips, saying why, only when the photos are absent (../shared is not beside the checkout).
# usage: scripts/check-packages.sh [photos folder]     (default ../shared/datasets/pascal-sentences/dataset)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PHOTOS=${1:-../shared/datasets/pascal-sentences/dataset}
if [ ! -d "$PHOTOS" ]; then
  echo "check-packages: SKIPPED: no photos at $PHOTOS (../shared is not beside the checkout)"
  exit 0
fi
PHOTOS=$(cd "$PHOTOS" && pwd)
command -v jq >/dev/null || { echo "check-packages: needs jq (apt-get install jq)" >&2; exit 1; }

step() { echo; echo "== check-packages: $*"; }
fail() { echo "check-packages: FAILED: $*" >&2; exit 1; }

step "pack"
FEED=$ROOT/artifacts/packages
rm -rf "$FEED"
dotnet pack ImageSearch.sln -c Release -o "$FEED" -warnaserror -nologo -v:minimal
for id in ImageSearch ImageSearch.Embeddings ImageSearch.VectorData ImageSearch.Orleans ImageSearch.Cli; do
  ls "$FEED/$id".[0-9]*.nupkg "$FEED/$id".[0-9]*.snupkg >/dev/null || fail "$id: no .nupkg and .snupkg in $FEED"
done
CLI_PACKAGE=$(ls "$FEED"/ImageSearch.Cli.[0-9]*.nupkg)
VERSION=${CLI_PACKAGE##*/ImageSearch.Cli.}
VERSION=${VERSION%.nupkg}
echo "version $VERSION"
# Uncommitted changes pack under the same version: drop earlier builds of it from the NuGet cache so they are not reused.
NUGET_CACHE=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
for id in imagesearch imagesearch.embeddings imagesearch.vectordata imagesearch.orleans imagesearch.cli; do rm -rf "${NUGET_CACHE:?}/$id/$VERSION"; done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export IMAGESEARCH_CACHE=$WORK/cache   # empty: the tool downloads what it needs
mkdir -p "$IMAGESEARCH_CACHE"

step "install the tool from the feed"
dotnet tool install --tool-path "$WORK/tools" --add-source "$FEED" ImageSearch.Cli --version "$VERSION"
IS=$WORK/tools/imagesearch
cd "$WORK"   # nothing of the repository is above this folder

DOG=$(find "$PHOTOS/dog" -name '*.jpg' | sort | head -n 1)
PHOTO_COUNT=$(find "$PHOTOS" -name '*.jpg' | wc -l)

step "imagesearch words king"
"$IS" words king -k 10 --json > words.json
jq -e 'length == 10 and (map(.word) | index("queen") != null)' words.json >/dev/null || fail "words king: $(cat words.json)"

step "imagesearch index ($PHOTO_COUNT photos, mobilenetv2)"
"$IS" index "$PHOTOS" --out "$WORK/pascal.idx" --model mobilenetv2 --quiet --json > index.json
jq -e --argjson n "$PHOTO_COUNT" '.indexed == $n and .added == $n and (.failures | length) == 0' index.json >/dev/null || fail "index: $(cat index.json)"

step "imagesearch similar ${DOG#$PHOTOS/}"
"$IS" similar "$DOG" --index "$WORK/pascal.idx" -k 5 --json > similar.json
jq -e --arg q "$DOG" 'length == 5 and all(.[]; .path != $q and .distance >= 0) and (map(.distance) == (map(.distance) | sort))' similar.json >/dev/null \
  || fail "similar: $(cat similar.json)"

step "imagesearch train-devise"
"$IS" train-devise --index "$WORK/pascal.idx" --json > devise.json
jq -e '.photos > 0 and (.labels | length) >= 2' devise.json >/dev/null || fail "train-devise: $(cat devise.json)"

step "imagesearch search dog"
"$IS" search dog --index "$WORK/pascal.idx" -k 5 --json > search.json
jq -e '[.[] | select(.label == "dog")] | length >= 3' search.json >/dev/null || fail "search dog: fewer than 3 dogs in the top 5: $(cat search.json)"

step "imagesearch tags ${DOG#$PHOTOS/}"
"$IS" tags "$DOG" --index "$WORK/pascal.idx" -k 5 --json > tags.json
jq -e 'length == 5 and all(.[]; .word != null)' tags.json >/dev/null || fail "tags: $(cat tags.json)"
cd "$ROOT"

step "package consumer (samples/ImageSearch.PackageConsumer, ImageSearch.Embeddings $VERSION from the feed)"
CONSUMER=samples/ImageSearch.PackageConsumer/ImageSearch.PackageConsumer.csproj
dotnet build "$CONSUMER" -c Release -p:ImageSearchVersion="$VERSION" -warnaserror -nologo -v:minimal
dotnet run --project "$CONSUMER" -c Release --no-build -p:ImageSearchVersion="$VERSION" -- "$PHOTOS" "$WORK/consumer" "$IMAGESEARCH_CACHE/glove"

step "VectorData sample (samples/ImageSearch.VectorData.Sample, ImageSearch.VectorData $VERSION from the feed)"
CAPTIONS=$(cd "$PHOTOS/../sentence" 2>/dev/null && pwd) || fail "no captions at $PHOTOS/../sentence"
SAMPLE=samples/ImageSearch.VectorData.Sample/ImageSearch.VectorData.Sample.csproj
dotnet build "$SAMPLE" -c Release -p:ImageSearchVersion="$VERSION" -warnaserror -nologo -v:minimal
dotnet run --project "$SAMPLE" -c Release --no-build -p:ImageSearchVersion="$VERSION" -- "$PHOTOS" "$CAPTIONS" "$IMAGESEARCH_CACHE/glove" "$WORK/vectordata" 10

echo
echo "check-packages: all checks passed ($VERSION)"
