#!/usr/bin/env bash
# Antom's official Python SDK (PyPI global-alipay-sdk-python, the package of alipay/global-open-sdk-python) and what
# its signing code imports, into .python-sdk/ (ignored by git), for test/sandbox/officialPythonSdk.test.ts: the
# sandbox must stay usable by the official SDKs. Quick when it is there.
# The SDK's declared dependencies are left out on purpose: enum34 on PYTHONPATH would shadow Python 3's own enum
# module; its signature code needs `rsa` and `cryptography`, which it does not declare.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.python-sdk
stamp="$target/.provisioned-1.0.1"
[ -f "$stamp" ] && exit 0
command -v python3 >/dev/null 2>&1 || { echo "provision: python3 is missing (needed for the official SDK test)" >&2; exit 1; }
rm -rf "$target"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$target" --no-deps 'global-alipay-sdk-python==1.0.1' >&2
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$target" --only-binary=:all: 'rsa==4.9.1' 'cryptography==46.0.3' >&2
touch "$stamp"
