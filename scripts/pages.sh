#!/usr/bin/env bash
# Look at a rendered document: page 1 (版头) and the last page (版记) as PNG.
#   scripts/pages.sh plans/mass-line-implementation-plan-2014.yaml [OUTDIR]
# Needs LibreOffice and poppler-utils (scripts/install-deps.sh installs both).
set -euo pipefail
plan=${1:?usage: scripts/pages.sh PLAN.yaml [OUTDIR]}
out=${2:-out}
mkdir -p "$out"
gendoc render "$plan" -o "$out/" --pdf
pdf="$out/$(basename "${plan%.*}").pdf"
last=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
stem="$out/$(basename "${plan%.*}")"
pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$pdf" "$stem-page1"
pdftoppm -png -r 80 -f "$last" -l "$last" -singlefile "$pdf" "$stem-last"
echo "$stem-page1.png"
echo "$stem-last.png"
