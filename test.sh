#!/usr/bin/env bash
# The test command: builds every module and runs every test, offline after the first run's downloads.
# Test-time oracles (Debian's python3-onnx, python3-torch) are installed when possible; tests that need them
# skip themselves where they are missing.
set -euo pipefail
cd "$(dirname "$0")"
export ORT_DISABLE_TELEMETRY=1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! /usr/bin/python3 -c 'import onnx, torch, torchvision' 2>/dev/null; then
  echo "test.sh: installing test oracles (python3-onnx, python3-torch, python3-torchvision) from Debian"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-onnx python3-torch python3-torchvision) \
    >/tmp/graft-test-oracles.log 2>&1 || echo "test.sh: oracles not installed (see /tmp/graft-test-oracles.log); their tests will skip"
fi
exec ./mvnw -B -ntp verify "$@"
