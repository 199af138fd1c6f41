#!/usr/bin/env python3
"""Where a server's CPU goes, from `perf script` output of a `perf record -g` of the .NET process (bench/profile.sh).

usage: perf-breakdown.py PERF_SCRIPT_TXT [FRAME_SUBSTRING ...]
Prints the share of CPU samples by thread role, by shared object, by system call, the inclusive share of the
project's own frames (DmpApi.*), and for each FRAME_SUBSTRING given, what runs directly under it.
Native SQLite frames have no frame pointers, so their callers are often unknown: they count under 'other'.
"""
import collections, re, signal, sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)

def clean(sym):
    sym = re.sub(r'\s*\((/[^)]*|\[[^)]*\])\)$', '', sym)          # the object file
    sym = re.sub(r'\[(OptimizedTier1|Optimized|InstrumentedTier|Tier0|Tier1|QuickJitted)[^\]]*\]', '', sym)
    sym = re.sub(r'\+0x[0-9a-f]+$', '', sym)
    return sym.strip()

stacks, cur, thread, dso = [], None, None, None
for line in open(sys.argv[1], errors='replace'):
    if not line.strip():
        if cur is not None:
            stacks.append(cur)
        cur = None
        continue
    if line[0] not in ' \t':
        cur = (re.sub(r' +\d+(/\d+)? .*', '', line.strip()), [], [])
        continue
    parts = line.strip().split(' ', 1)
    raw = parts[1] if len(parts) > 1 else parts[0]
    m = re.search(r'\(([^()]*)\)$', raw)
    cur[1].append(clean(raw))
    cur[2].append(m.group(1).rsplit('/', 1)[-1] if m else '?')
if cur is not None:
    stacks.append(cur)
n = len(stacks)
if n == 0:
    sys.exit('no samples')

def pct(v):
    return f"{100 * v / n:5.1f}%"

def role(thread, frames):
    joined = ' '.join(frames)
    if 'Server GC' in thread or 'BGC' in thread:
        return 'garbage collector threads'
    if 'Tiered Com' in thread or 'clrjit' in joined:
        return 'JIT compiler'
    if 'AuditWriter' in joined or 'AuditBatchStore' in joined:
        return 'audit trail writer (group commit)'
    if 'DmpApi.' in joined or 'Microsoft.AspNetCore' in joined:
        return 'requests (managed frames known)'
    return f'other on {thread} (native frames without known callers: SQLite, kernel, thread pool)'

print(f"{n} samples")
print("\nBy role:")
for k, v in collections.Counter(role(t, f) for t, f, _ in stacks).most_common():
    print(f"  {pct(v)} {k}")
print("\nBy shared object (leaf frame):")
for k, v in collections.Counter(d[0] if d else '?' for _, _, d in stacks).most_common(8):
    print(f"  {pct(v)} {k}")
print("\nSystem calls:")
calls = collections.Counter()
for _, frames, _ in stacks:
    call = next((f for f in frames if f.startswith('__x64_sys_')), None)
    if call:
        calls[call.replace('__x64_sys_', '')] += 1
for k, v in calls.most_common(8):
    print(f"  {pct(v)} {k}")
print("\nThe project's frames (inclusive):")
own = collections.Counter()
for _, frames, _ in stacks:
    names = set()
    for f in set(frames):
        # The declaring type follows the assembly name; a generated lambda (an EF compiled query) is named by its result.
        m = re.search(r'\[DmpApi\] (DmpApi\.[\w.]+(\+<\w+>\w*)?(::\w+)?)', f)
        if m:
            names.add(re.sub(r'\+<(\w+)>d__\d+', r'.\1', m.group(1)).replace('::MoveNext', '').replace('::', '.'))
        elif 'DynamicMethods' in f and (r := re.search(r'<(DmpApi\.[\w.]+)', f)):
            names.add(f'generated lambda (EF query) returning {r.group(1)}')
    for name in names:
        own[name] += 1
for k, v in own.most_common(30):
    print(f"  {pct(v)} {k}")
print("\nSelf time by library (the assembly of the managed frame nearest the leaf; native leaves count under their caller):")
libs = collections.Counter()
for _, frames, _ in stacks:
    lib = next((m.group(1) for f in frames if (m := re.search(r'\[([A-Za-z][\w.]*)\] ', f))), None)
    libs[lib or 'no managed frame (kernel, GC, native)'] += 1
for k, v in libs.most_common(25):
    print(f"  {pct(v)} {k}")
for needle in sys.argv[2:]:
    under, matched = collections.Counter(), 0
    for _, frames, _ in stacks:
        i = next((i for i in range(len(frames) - 1, -1, -1) if needle in frames[i]), None)
        if i is None:
            continue
        matched += 1
        under[frames[i - 1][:110] if i > 0 else '(self)'] += 1
    print(f"\nUnder {needle} ({pct(matched).strip()} in all):")
    for k, v in under.most_common(10):
        print(f"  {pct(v)} {k}")
