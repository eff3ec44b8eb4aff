#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Rewrite the generated configuration table in README.md and docs/configuration.md.

usage: tools/config-table.py FLYTE_BINARY

The table between <!-- BEGIN CONFIG TABLE --> and <!-- END CONFIG TABLE --> is
what `flyte --config-reference` prints; the unit test `config` fails when a
document differs from it.
"""
import subprocess
import sys
from pathlib import Path

BEGIN = "<!-- BEGIN CONFIG TABLE -->\n"
END = "<!-- END CONFIG TABLE -->"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    table = subprocess.run([sys.argv[1], "--config-reference"], check=True,
                           capture_output=True, text=True).stdout
    root = Path(__file__).resolve().parent.parent
    for doc in (root / "README.md", root / "docs" / "configuration.md"):
        text = doc.read_text()
        b = text.index(BEGIN) + len(BEGIN)
        e = text.index(END, b)
        doc.write_text(text[:b] + table + text[e:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
