#!/usr/bin/env bash
# Install what real Mermaid rendering needs: Debian's chromium (and node/npm when absent)
# plus the npm packages `mermaid` and `playwright-core` into training/synth/js/node_modules.
# Idempotent: each step is skipped when its result is already there. Never downloads a browser
# build (playwright-core has no install hook; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD guards anyway).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JS_DIR="$ROOT/training/synth/js"
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

if [ -f "$JS_DIR/node_modules/mermaid/package.json" ] \
  && [ -f "$JS_DIR/node_modules/playwright-core/package.json" ]; then
  echo "install_mermaid: node modules present"
else
  echo "install_mermaid: npm install in $JS_DIR"
  # package-lock.json pins the versions tested (mermaid 11.17.2, playwright-core 1.65.1).
  npm_cmd=install
  [ -f "$JS_DIR/package-lock.json" ] && npm_cmd=ci
  (cd "$JS_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
    npm "$npm_cmd" --no-audit --no-fund --omit=dev --loglevel=error)
fi

/usr/bin/chromium --version 2>/dev/null
node --version
echo "install_mermaid: ok"
