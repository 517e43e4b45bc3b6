#!/usr/bin/env bash
# Set up ictrag, ingest the bundled sample manual and ask it a question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
ictrag ingest docs/samples --index demo
ictrag query "which interface connects AR-100 to SW-A?" --index demo -k 3
ictrag query "Core-SW-01 XGE0/0/1" --index demo -k 3 --kind figure
