#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print the closing `N passed, N failed` line from a meson testlog.json.

Every test binary speaks TAP: each `ok` line is a passed case and each
`not ok` line a failed one.  A binary that failed (crash, sanitizer abort,
timeout) without printing any `not ok` line counts as one more failure, so a
crash can never hide.  `ok ... # SKIP` lines count as skipped.
"""
import json
import os
import re
import sys

if not os.path.exists(sys.argv[1]):
    # meson writes no log when the selection matched no test
    print("no test ran")
    print("0 passed, 0 failed, 0 skipped")
    sys.exit(1)

passed = failed = skipped = 0
bad_tests = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        t = json.loads(line)
        out = t.get("stdout") or ""
        p = f_ = s = 0
        for l in out.splitlines():
            if re.match(r"^not ok\b", l):
                f_ += 1
            elif re.match(r"^ok\b", l):
                if re.search(r"#\s*SKIP", l, re.I):
                    s += 1
                else:
                    p += 1
        ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if not ok and f_ == 0:
            f_ = 1
        if not ok:
            bad_tests.append(t.get("name"))
        passed += p
        failed += f_
        skipped += s
for n in bad_tests:
    print(f"failed: {n}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
