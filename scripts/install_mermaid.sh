#!/usr/bin/env bash
# Install what real Mermaid rendering needs: Debian's chromium (and node/npm when absent),
# then `ictrag setup renderers`, which puts the npm packages `mermaid` and `playwright-core`
# into the user cache (<cache>/renderers/mermaid, cache = $ICTRAG_CACHE, else
# $XDG_CACHE_HOME/ictrag, else ~/.cache/ictrag): the one place the renderer looks, for CI,
# a dev checkout and a wheel alike. Idempotent; never downloads a browser build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=${PYTHON:-python3}
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Fonts so labels have real glyphs (and real text in the PDF); harmless when present.
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
dpkg -s fonts-liberation >/dev/null 2>&1 || need_apt+=(fonts-liberation)

if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "install_mermaid: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# package-lock.json pins the versions tested (mermaid 11.17.2, playwright-core 1.65.1).
(cd "$ROOT" && "$PY" -m ictrag setup renderers)
/usr/bin/chromium --version 2>/dev/null
node --version
echo "install_mermaid: ok"
