#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Template evaluations per second.  $1 is a build directory, preferably a
# release build: meson setup BUILD --buildtype=release -Dtests=false
set -euo pipefail
dir=${1:?usage: bench/template/run.sh BUILD_DIR [SECONDS]}
ninja -C "$dir" bench/template/tmpl-bench >/dev/null
"$dir/bench/template/tmpl-bench" "${2:-2}"
