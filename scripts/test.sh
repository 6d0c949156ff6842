#!/usr/bin/env bash
# Set everything up and run the whole test suite. Extra arguments go to pytest.
# Installs what the tests need beyond Python (Debian's chromium, when run as root and missing);
# the tests start the local PostgreSQL server themselves.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser tests ..."
  (apt-get install -y -q chromium >/dev/null 2>&1 \
    || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
    || echo "warning: could not install chromium; browser tests will fail"
fi
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
