#!/usr/bin/env bash
# The test command of the README: install what the tests need, lint, run the suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-render || exit 1
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
$PY -m ruff check ictrag training tests || exit 1
$PY -m pytest -q -p no:cacheprovider "$@"
code=$?
# pytest exits 5 when it collected nothing: that is a broken suite here, not a pass.
if [ $code -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
exit $code
