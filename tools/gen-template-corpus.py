#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the seed corpus of the template fuzzer from the golden cases.

Each case of tests/template/cases/**.case becomes one file in
fuzz/template/corpus/: the template source, a NUL byte, then the case's JSON
context (if any).  Files are named after the case, so regenerating is stable.

usage: tools/gen-template-corpus.py [CASES_DIR] [CORPUS_DIR]
"""
import os
import re
import sys


def sections(text):
    """Yield (case name, {section: content}) following the golden format."""
    name, secs, cur = None, {}, None
    lines = text.split('\n')
    for line in lines:
        if line.startswith('=== '):
            if cur is not None and secs[cur].endswith('\n'):
                secs[cur] = secs[cur][:-1]
            cur = None
            word = line[4:]
            if word.startswith('case '):
                if name is not None:
                    yield name, secs
                name, secs = word[5:], {}
            elif name is not None:
                cur = word
                secs[cur] = ''
        elif cur is not None:
            secs[cur] += line + '\n'
    if cur is not None and secs[cur].endswith('\n'):
        secs[cur] = secs[cur][:-1]
    if name is not None:
        yield name, secs


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cases = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, 'tests/template/cases')
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, 'fuzz/template/corpus')
    os.makedirs(corpus, exist_ok=True)
    count = 0
    for dirpath, _, files in sorted(os.walk(cases)):
        for f in sorted(files):
            if not f.endswith('.case'):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, cases)[:-5]
            with open(path, encoding='utf-8', errors='surrogateescape') as fh:
                text = fh.read()
            for name, secs in sections(text):
                if 'template' not in secs:
                    continue
                data = secs['template'].encode('utf-8', 'surrogateescape')
                if 'context' in secs:
                    data += b'\0' + secs['context'].encode('utf-8', 'surrogateescape')
                fname = re.sub(r'[^A-Za-z0-9_.-]', '_', rel + '-' + name)
                with open(os.path.join(corpus, fname), 'wb') as out:
                    out.write(data)
                count += 1
    print(f'{count} corpus files written to {corpus}')


if __name__ == '__main__':
    main()
