#!/bin/sh
# Copies the shared SDN corpus (outside the repository) into the git-ignored fuzz
# corpus directories, so each target starts from real files.
# Usage: ./seed.sh [CORPUS_DIR]   (default: ../../../../shared/corpus/sdn/real)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-"$here/../../../../shared/corpus/sdn/real"}
if [ ! -d "$src" ]; then
    echo "seed.sh: no corpus at $src; the targets will start from nothing" >&2
    exit 0
fi
for target in parse document_roundtrip document_edit document_update; do
    mkdir -p "$here/corpus/$target"
    cp "$src"/*.sdn "$here/corpus/$target/"
done
echo "seeded $(ls "$src"/*.sdn | wc -l) files into $here/corpus/{parse,document_roundtrip,document_edit,document_update}"
