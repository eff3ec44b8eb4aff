#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# RS256/ES256 verification throughput, uncached and cached, one thread.
# Usage: bench/auth/run.sh <build dir> [seconds per case]
set -euo pipefail
dir=${1:-build-bench}
ninja -C "$dir" bench/auth/bench-auth-verify >/dev/null
"$dir/bench/auth/bench-auth-verify" "${2:-3}"
