#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark against an optimised build directory ($1).
set -euo pipefail
dir=${1:-build-bench}
for b in bench/*/run.sh; do
	echo "== $b"
	bash "$b" "$dir"
done
