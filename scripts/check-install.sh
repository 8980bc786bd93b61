#!/usr/bin/env bash
# Install gendoc the way a user does and use it from outside the repository:
# build the wheel, install it into a fresh venv (runtime dependencies only, from PyPI),
# then, from an empty folder, render every plan in plans/ and verify it (verify needs
# LibreOffice: scripts/install-deps.sh). Exit non-zero on any failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m pip wheel -q --no-deps "$repo" -w "$work/wheel"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/wheel/gendoc-*.whl

mkdir "$work/elsewhere"
cd "$work/elsewhere"
gendoc="$work/venv/bin/gendoc"
# the README's first command, from outside the repository
"$gendoc" render "$repo/plans/mass-line-implementation-plan-2014.yaml" -o example.docx
for plan in "$repo"/plans/*.yaml; do
    case "$plan" in *branches*) continue ;; esac   # data files for batch, not plans
    name=$(basename "$plan" .yaml)
    "$gendoc" check "$plan"
    "$gendoc" render "$plan" -o "$name.docx"
    if command -v soffice >/dev/null 2>&1; then
        "$gendoc" verify "$name.docx" > "$name.verify.txt" || { cat "$name.verify.txt"; exit 1; }
    fi
done
# every genre's starter plan, as a clerk starts one: gendoc new, render, verify
"$gendoc" templates | sed 's/　.*//' > genres.txt   # the name: up to the first full-width space
while read -r genre; do
    "$gendoc" new "$genre" -o "new-$genre.yaml"
    "$gendoc" render "new-$genre.yaml" -o "new-$genre.docx"
    if command -v soffice >/dev/null 2>&1; then
        "$gendoc" verify "new-$genre.docx" > "new-$genre.verify.txt" || { cat "new-$genre.verify.txt"; exit 1; }
    fi
done < genres.txt
echo "check-install: wheel installed in a fresh venv renders and verifies every plan in plans/ and every genre's starter"
