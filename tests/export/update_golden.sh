#!/usr/bin/env bash
# Regenerates tests/golden/*.png from a build: tests/export/update_golden.sh build/attnscope
# Look at every image (and at git diff --stat) before committing: a golden is only as good as the eye that passed it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/export_test.sh" "$1" /usr/bin/python3 "$(mktemp -d)" --update-golden
