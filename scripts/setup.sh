#!/usr/bin/env bash
# Install ictrag and everything its tests need. Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch/torchvision first, pinned to the releases this machine's pip serves from disk, so
# that no dependency resolves to a newer (multi-GB) build.
if ! $PY -c "import torch, torchvision" 2>/dev/null; then
  $PY -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
fi
$PY -m pip install -q -e ".[dev]"
if [ "${1:-}" = "--with-render" ]; then
  [ -x scripts/install_mermaid.sh ] && bash scripts/install_mermaid.sh
  # Graphviz, mscgen, seqdiag, a JRE and PlantUML: the real renderers of the real-figures tests.
  [ -x scripts/install_renderers.sh ] && PYTHON="$PY" bash scripts/install_renderers.sh
fi
