#!/usr/bin/env bash
# Set everything up and run the whole test suite. Extra arguments go to pytest.
# scripts/setup.sh installs what the tests need beyond Python (Debian's chromium, when run as
# root and missing); the tests start the local PostgreSQL server themselves.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
