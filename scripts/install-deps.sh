#!/usr/bin/env bash
# Install what gendoc needs to render .docx -> .pdf on Debian 12 (bookworm). Run as root.
#
#   - LibreOffice Writer (headless), poppler-utils (pdffonts, pdftoppm), fontconfig,
#     pandoc (the tests read every example .docx with it: headings at their levels)
#   - fonts: Noto CJK (宋体/黑体/小标宋 stand-ins), Liberation 2 (Times New Roman metrics),
#     AR PL UKai (楷体 fallback)
#   - the Fandol fonts (仿宋/楷体 stand-ins) taken out of texlive-lang-chinese without
#     installing TeX: apt-get download + dpkg-deb -x, copy Fandol*.otf, fc-cache.
#
# Idempotent: packages already installed and fonts already known to fontconfig are skipped.
# Python packages are not installed here (pip install -e '.[test]' is done by .ci/run).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
    libreoffice-writer-nogui
    poppler-utils
    fonts-noto-cjk
    fonts-liberation2
    fonts-arphic-ukai
    fontconfig
    pandoc
)
FANDOL_DEST=/usr/local/share/fonts/fandol
FANDOL_SRC=usr/share/texlive/texmf-dist/fonts/opentype/public/fandol

log() { printf 'install-deps: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root (apt-get, /usr/local/share/fonts)" >&2
    exit 1
fi

apt_updated=0
apt_update() {
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        apt-get update
        apt_updated=1
    fi
}

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# --- 1. Debian packages -------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if command -v soffice >/dev/null 2>&1 && [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages already installed, skipping apt-get install"
elif [ "${#missing[@]}" -eq 0 ]; then
    log "packages installed but soffice not on PATH; reinstalling libreoffice-writer-nogui"
    apt_update
    apt-get install -y --no-install-recommends --reinstall libreoffice-writer-nogui
else
    apt_update
    log "apt-get install ${missing[*]}"
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- 2. Fandol fonts from texlive-lang-chinese --------------------------------------
have_fandol() {
    fc-list : family | grep -q '^FandolFang' && fc-list : family | grep -q '^FandolKai'
}

if have_fandol; then
    log "Fandol fonts already known to fontconfig, skipping"
else
    tmp=$(mktemp -d)
    chmod 755 "$tmp"  # let apt's _apt user write the download (avoids the unsandboxed warning)
    trap 'rm -rf "$tmp"' EXIT
    (
        cd "$tmp"
        # apt-get download needs package lists; a fresh image may have none
        if ! apt-get download texlive-lang-chinese; then
            apt_update
            apt-get download texlive-lang-chinese
        fi
    )
    deb=$(ls "$tmp"/texlive-lang-chinese_*.deb)
    log "extracting Fandol fonts from $(basename "$deb")"
    dpkg-deb -x "$deb" "$tmp/x"
    shopt -s nullglob
    otfs=("$tmp/x/$FANDOL_SRC"/Fandol*.otf)
    shopt -u nullglob
    if [ "${#otfs[@]}" -eq 0 ]; then
        echo "install-deps: no Fandol*.otf found in $deb under $FANDOL_SRC" >&2
        exit 1
    fi
    install -d -m 755 "$FANDOL_DEST"
    install -m 644 "${otfs[@]}" "$FANDOL_DEST/"
    log "installed ${#otfs[@]} files into $FANDOL_DEST"
    fc-cache -f
    rm -rf "$tmp"
    trap - EXIT
    if ! have_fandol; then
        echo "install-deps: FandolFang/FandolKai still not listed by fc-list after fc-cache" >&2
        exit 1
    fi
fi

log "done: $(command -v soffice), $(fc-list : family | grep -c '^Fandol') Fandol faces"
