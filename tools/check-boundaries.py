#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
check-boundaries.py - the module graph, checked.

    check-boundaries.py SOURCE_ROOT [--nm NM] [--build BUILD_DIR LIBRARY ...]
    check-boundaries.py FIXTURE_ROOT --expect FILE

With --expect, the violations found must be exactly the lines of FILE (the
test of the checker itself, on a tree made to break the rules).

1. Includes: every #include in src/, cli/ and packs/ is resolved to the file
   it names; the module that file belongs to must be the includer's own
   module or one the MODULES table below lets it use.  A library's header
   (sqlite3.h, microhttpd.h, ...) may only be included by the server modules
   that own that library (OWNERS).
2. Symbols: every global symbol a module library defines must carry the
   prefix of its module or of its file (`fl_<module>_`, `fl_<file>_`, or a
   prefix in ALIASES); libflyte's shared library exports only `flyte_`.

Prints one line per violation and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

# module -> the modules its files may include (besides its own).  Sub-folders
# belong to their parent (src/store/sqlite is part of src/store) unless
# listed themselves.
SERVER = ['src/common', 'src/template', 'src/flow', 'src/json', 'src/yaml', 'src/store', 'src/engine',
          'src/config', 'src/auth', 'src/http', 'src/api', 'src/server']
MODULES = {
    'src/common': [],
    'src/template': ['src/common'],
    'src/json': ['src/common'],
    'src/yaml': ['src/common', 'src/json'],
    'src/store': ['src/common'],
    'src/flow': ['src/common', 'src/template'],
    'src/engine': ['src/common', 'src/template', 'src/flow', 'src/store'],
    'src/config': ['src/common'],
    'src/auth': ['src/common', 'src/yaml'],
    'src/http': ['src/common', 'src/json', 'src/yaml', 'src/auth'],
    'src/api': ['src/common', 'src/json', 'src/yaml', 'src/http', 'src/engine'],
    'src/server': SERVER,
    # libflyte, flytectl and the packs: the public API and the helpers of
    # src/common only; never the engine, the store, http or the api.
    'include': [],
    'src/pack': ['src/common', 'include'],
    # flytectl's offline `test` runs steps with the flow and template modules and reads YAML
    'cli': ['src/common', 'include', 'src/template', 'src/flow', 'src/json', 'src/yaml'],
    'packs/common': ['src/common', 'include'],
    'packs': ['src/common', 'include', 'packs/common'],
}

# A library's headers, and the only server modules that may include them.
# Programs outside src/ (packs, flytectl) link what they need.
OWNERS = [
    (re.compile(r'sqlite3\.h$'), ['src/store/sqlite']),
    (re.compile(r'libpq-fe\.h$'), ['src/store/pg']),
    (re.compile(r'microhttpd\.h$'), ['src/http']),
    (re.compile(r'yaml\.h$'), ['src/yaml']),
    (re.compile(r'pcre2\.h$'), ['src/template']),
    (re.compile(r'openssl/'), ['src/auth', 'src/server']),
    (re.compile(r'curl/'), ['src/auth', 'src/pack']),
    (re.compile(r'(libwebsockets|ldap|msgpack)\.h$'), []),
]

# Where quoted includes are looked up after the includer's own folder (the
# -I directories of meson.build).
SEARCH = ['src', 'src/common', 'src/template', 'include', 'src/pack', 'packs/common']

# Prefixes besides fl_<module>_ and fl_<file>_, by module or by file.
ALIASES = {
    'src/common/alloc.c': ['fl_x'],
    'src/common/error.c': ['fl_err_', 'fl__bug'],
    'src/common/timeutil.c': ['fl_time_'],
    'src/template': ['fl_tmpl_'],
    'src/template/value.c': ['fl_val_'],
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def module_of(rel):
    """The MODULES key a path belongs to: the longest one it starts with."""
    best = None
    for m in MODULES:
        if rel == m or rel.startswith(m + '/'):
            if best is None or len(m) > len(best):
                best = m
    return best


def resolve(root, includer, name):
    here = os.path.dirname(includer)
    for d in [here] + SEARCH:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None


def check_includes(root):
    bad = []
    for top in ('src', 'cli', 'packs', 'include'):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith(('.c', '.h')):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                own = module_of(rel)
                if own is None:
                    continue
                with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        quote, name = m.groups()
                        target = resolve(root, rel, name) if quote == '"' else None
                        if target:
                            tm = module_of(target)
                            if tm and tm != own and tm not in MODULES[own]:
                                bad.append('%s:%d: %s includes %s (%s may not use %s)'
                                           % (rel, n, own, target, own, tm))
                            continue
                        if not rel.startswith('src/'):
                            continue
                        for pat, owners in OWNERS:
                            if pat.search(name) and not any(
                                    rel.startswith(o + '/') for o in owners):
                                bad.append('%s:%d: <%s> belongs to %s only'
                                           % (rel, n, name, ', '.join(owners) or 'programs outside src/'))
    return bad


def source_of(obj, lib, build):
    """The source (relative to the root) of an object in a meson library:
    meson names it after the source's path below the library's folder, with
    '/' turned into '_'; generated sources count as the library's folder."""
    libdir = os.path.relpath(os.path.dirname(os.path.abspath(lib)), os.path.abspath(build))
    libdir = '' if libdir == '.' else libdir.replace(os.sep, '/')
    name = re.sub(r'\.o$', '', os.path.basename(obj))
    if name.startswith('meson-generated_'):
        return (libdir + '/' if libdir else '') + re.sub(r'^meson-generated_(\.\._)*', '', name)
    for dirpath, _, files in os.walk(os.path.join(ROOT, libdir)):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), os.path.join(ROOT, libdir))
            if rel.replace(os.sep, '_') == name:
                return os.path.normpath(os.path.join(libdir, rel)).replace(os.sep, '/')
    return (libdir + '/' if libdir else '') + name


def allowed_prefixes(src):
    d, f = os.path.split(src)
    stem = re.sub(r'\.c$', '', f)
    mod = module_of(src) or d
    out = ['fl_%s_' % os.path.basename(mod), 'fl_%s_' % os.path.basename(d), 'fl_%s_' % stem]
    for key, extra in ALIASES.items():
        if src == key or src.startswith(key + '/'):
            out += extra
    return out


def check_symbols(nm, build, libs):
    bad = []
    for lib in libs:
        shared = '.so' in os.path.basename(lib)
        args = [nm, '-D' if shared else '-A', '--defined-only', '-g', lib]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if shared:
                parts = line.split()
                if len(parts) == 3 and parts[1] in 'TDRBV' and not parts[2].startswith('flyte_'):
                    bad.append('%s exports %s (only flyte_ symbols)' % (os.path.basename(lib), parts[2]))
                continue
            loc, _, rest = line.rpartition(':')
            parts = rest.split()
            if len(parts) != 3:
                continue
            obj = loc.split(':', 1)[1] if ':' in loc else loc
            src = source_of(obj, lib, build)
            sym = parts[2]
            if not any(sym.startswith(p) for p in allowed_prefixes(src)):
                bad.append('%s defines %s (allowed: %s)' % (src, sym, ' '.join(allowed_prefixes(src))))
    return bad


def main(argv):
    global ROOT
    nm = 'nm'
    args = argv[1:]
    if '--nm' in args:
        i = args.index('--nm')
        nm = args[i + 1]
        del args[i:i + 2]
    build = '.'
    expect = None
    if '--expect' in args:
        i = args.index('--expect')
        expect = args[i + 1]
        del args[i:i + 2]
    if '--build' in args:
        i = args.index('--build')
        build = args[i + 1]
        del args[i:i + 2]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ROOT = args[0]
    bad = check_includes(ROOT) + check_symbols(nm, build, args[1:])
    if expect is not None:
        with open(expect, encoding='utf-8') as fh:
            want = [l.rstrip('\n') for l in fh if l.strip()]
        if bad == want:
            print('the %d expected violations found' % len(bad))
            return 0
        print('expected:\n  ' + '\n  '.join(want) + '\nfound:\n  ' + '\n  '.join(bad))
        return 1
    for b in bad:
        print(b)
    print('%d boundary violations' % len(bad))
    return 1 if bad else 0


ROOT = '.'
if __name__ == '__main__':
    sys.exit(main(sys.argv))
