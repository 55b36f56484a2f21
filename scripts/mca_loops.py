#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Static throughput of a kernel's inner loops, for changes too small to
see through this shared machine's timing noise: compiles a source file of
src/ to assembly with the library's release flags, takes in each named
function the shortest loop that contains FMAs, and runs llvm-mca (Debian's
llvm package; not part of CI) on it.  Prints, per function, the loop's FMAs,
instructions and llvm-mca's cycles per iteration against the FMA ports'
bound (two FMAs a cycle).  llvm-mca models a CPU (default icelake-server);
its cycles are a model's, useful for before/after on one loop, not a rate.

  python3 scripts/mca_loops.py [--cpu CPU] [--rev REV] SOURCE FUNCTION...

--rev REV compiles SOURCE as it is at git revision REV instead of the
working tree (the headers from the working tree)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ["-O3", "-DNDEBUG", "-ffp-contract=off", "-fopenmp", "-std=c11"]


def assemble(source, rev, tmp):
    src = os.path.join(ROOT, source)
    if rev:
        src = os.path.join(tmp, os.path.basename(source))
        with open(src, "w") as f:
            f.write(subprocess.run(["git", "-C", ROOT, "show", "%s:%s" % (rev, source)],
                                   check=True, capture_output=True, text=True).stdout)
    # the headers of the tree, and the configured ones of a build tree if any
    inc = [os.path.join(ROOT, d) for d in ("include", "src", os.path.dirname(source),
                                           "build/include", "build-bench/include")]
    out = os.path.join(tmp, "out.s")
    subprocess.run(["gcc"] + FLAGS + ["-I" + d for d in inc if os.path.isdir(d)]
                   + ["-S", "-o", out, src], check=True)
    with open(out) as f:
        return f.read().split("\n")


def inner_loop(asm, fn):
    start = asm.index(fn + ":")
    end = start
    while ".cfi_endproc" not in asm[end]:
        end += 1
    body = asm[start:end]
    best = None
    for a, line in enumerate(body):
        m = re.match(r"^(\.L\d+):", line)
        if not m:
            continue
        for b in range(a + 1, len(body)):
            if re.search(r"\bj\w+\s+" + re.escape(m.group(1)) + r"$", body[b]):
                blk = [x for x in body[a + 1:b + 1]
                       if not re.match(r"^\.L\d+:", x) and not x.strip().startswith(".")]
                n = sum("vfmadd" in x for x in blk)
                if n and (best is None or len(blk) < len(best[1])):
                    best = (n, blk)
                break
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu", default="icelake-server")
    ap.add_argument("--rev")
    ap.add_argument("source")
    ap.add_argument("functions", nargs="+")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asm = assemble(args.source, args.rev, tmp)
        print("%-16s %5s %6s %13s %10s" % ("function", "FMAs", "insns", "cycles/iter",
                                           "FMA bound"))
        for fn in args.functions:
            loop = inner_loop(asm, fn)
            if not loop:
                print("%-16s no loop with FMAs" % fn)
                continue
            path = os.path.join(tmp, "loop.s")
            with open(path, "w") as f:
                f.write("\n".join(loop[1]) + "\n")
            out = subprocess.run(["llvm-mca", "-mcpu=" + args.cpu, "-iterations=400", path],
                                 check=True, capture_output=True, text=True).stdout
            cycles = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1)) / 400
            print("%-16s %5d %6d %13.2f %10.1f" % (fn, loop[0], len(loop[1]), cycles, loop[0] / 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
