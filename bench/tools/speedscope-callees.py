#!/usr/bin/env python3
"""Where the time under a frame goes, from a speedscope file (dotnet-trace convert --format speedscope).

usage: speedscope-callees.py FILE SUBSTRING [DEPTH]   (a negative DEPTH lists callers instead)
Prints, for samples whose stack holds a frame containing SUBSTRING, the share of each callee chain DEPTH
frames below the outermost such frame (inclusive), so a profile can be read without a GUI.
"""
import collections, json, sys

path, needle = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
doc = json.load(open(path))
frames = [f["name"] for f in doc["shared"]["frames"]]
total = 0.0
under = collections.Counter()
matched = 0.0
for prof in doc["profiles"]:
    if prof["type"] == "sampled":
        samples = zip(prof["samples"], prof["weights"])
    else:  # evented: turn open/close events into weighted stacks
        samples, stack, last = [], [], None
        for ev in prof["events"]:
            if last is not None and stack:
                samples.append((list(stack), ev["at"] - last))
            last = ev["at"]
            if ev["type"] == "O":
                stack.append(ev["frame"])
            else:
                stack.pop()
    for stack, w in samples:
        names = [frames[i] for i in stack]
        total += w
        hit = next((i for i, n in enumerate(names) if needle in n), None)
        if hit is None:
            continue
        matched += w
        if depth >= 0:
            under[" > ".join(n[:70] for n in names[hit + 1:hit + 1 + depth]) or "(self)"] += w
        else:  # callers: the frames above the innermost match
            hit = max(i for i, n in enumerate(names) if needle in n)
            under[" < ".join(n[:70] for n in reversed(names[max(0, hit + depth):hit])) or "(root)"] += w
print(f"{needle}: {100 * matched / total:.1f}% of all samples")
for k, w in under.most_common(25):
    print(f"{100 * w / matched:5.1f}%  {k}")
