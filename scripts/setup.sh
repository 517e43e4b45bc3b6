#!/usr/bin/env bash
# Install ictrag with every extra and the test tools (what the tests need). Idempotent.
# --with-render also installs the renderers: Mermaid (scripts/install_mermaid.sh), Graphviz,
# mscgen, seqdiag and PlantUML (scripts/install_renderers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
# scripts/constraints.txt caps torch/torchvision at the releases this machine's pip serves
# from disk, so that no dependency resolves to a newer (multi-GB) build.
PIP=("$PY" -m pip install -q -c scripts/constraints.txt)
if ! $PY -c "import torch, torchvision" 2>/dev/null; then
  "${PIP[@]}" "torch==2.14.1" "torchvision==0.29.1"
fi
"${PIP[@]}" -e ".[all,dev]"
if [ "${1:-}" = "--with-render" ]; then
  PYTHON="$PY" bash scripts/install_mermaid.sh
  # Graphviz, mscgen, seqdiag, a JRE and PlantUML: the real renderers of the real-figures tests.
  PYTHON="$PY" bash scripts/install_renderers.sh
fi
