#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes docs/benchmarks.md from the RESULT lines collected by
bench/run_all.sh.  Usage: report.py RESULTS_FILE MACHINE_FILE OUT.md

RESULTS_FILE lines: '<source> RESULT workload=.. impl=.. size=.. median_s=..
rate=.. unit=.. bound_frac=..'.  Ratios to a peer are peer median / our
median for the same workload and size, both from this one run."""
import collections
import os
import sys

PEERS = ("numpy", "torch")
ORDER = ("gradient", "loss", "gd", "gd_setup", "normal_solve", "lstsq", "dense_backward")
NOTES = {
    "gradient": "G = -(2/N) A^T (Y - A W), k = 1, j = 64. Bound: streaming read of A "
                "(bench_linreg's read_bw on the same buffer). numpy: `-2/N * A.T @ (Y - A @ W)`.",
    "loss": "loss = ||y - A w||^2 / N alone (mg_mse_loss), k = 1, j = 64; bound as for gradient.",
    "gd_setup": "What a Gram-type strategy pays once: A^T A by dsyrk (MG_GD_GRAM) against a "
                "QR factorisation of [A y] by dgeqrf (the accurate alternative it does not use; "
                "docs/performance.md).",
    "gradient_k1": "The k sweep: the fused pass against blocked dgemm for k outputs at 1e6 x 64 "
                   "(mg__mse_choose picks the fused kernel up to k = 32 when j k <= 16384).",
    "gd": "1000 epochs of W <- W - lr G with the loss of every epoch, j = 32, k = 1. "
          "Bound (direct loops only): one streaming read of A per epoch. "
          "numpy: the same loop with `A @ W` and `A.T @ R`.",
    "normal_solve": "(A^T A) w = A^T y. Rate: N j^2 flops / time (dsyrk's count); "
                    "bound: dgemm peak measured in the same run. numpy: "
                    "`np.linalg.solve(A.T @ A, A.T @ y)`.",
    "gram_kernel": "bench_gram: the Gram kernel alone, one thread, S += [A y]^T [A y] at 64 "
                   "columns and one output in 128-row blocks, for each instruction-set variant "
                   "this CPU has: in cache (2400 rows passed over again and again, the kernel's "
                   "own ceiling) and streamed (1e6 rows, 512 MB, read once). Rate: N p (p + 1) "
                   "flops / time (docs/performance.md, \"The Gram pass\").",
    "gram_scaling": "bench_gram, same rounds on the default thread count: the streamed pass on one "
                    "thread, the same kernel on the pool's threads over the engine's 16 slices "
                    "(no engine around it), mg_normal_solve on the same A, and OpenBLAS's dgemm "
                    "of order 2000 (run_all.sh runs bench_gram with the CPU's best OpenBLAS "
                    "kernel). What the second core adds, and what the engine costs beyond the "
                    "kernel (docs/performance.md, \"The two-thread pass\").",
    "gram_peak_share": "bench_gram, same rounds: mg_normal_solve's rate (N p (p + 1) flops) over "
                       "the dgemm's of those rounds (*bound*), from the medians and from the "
                       "fastest runs (in the *fastest* row, *median* and *rate* are the fastest "
                       "run's): issue 13's goal 3 on one load of the machine.",
    "lstsq": "min ||y - A b||, numpy `np.linalg.lstsq`, torch `torch.linalg.lstsq`.",
    "grad_bw": "bench_grad_bw: the fused gradient at 1e6 x 64 (k = 1) on 1 and 2 threads against "
               "streaming sums over the same A in the same rounds (docs/performance.md, \"Bounds\").",
    "mixed_threads": "bench_threads: a call right after the other library's call (a program "
                     "alternating its own OpenBLAS calls with matgrad's), against the same call "
                     "after a 300 ms pause, in the same rounds; *rate* = mixed / isolated "
                     "(1: the thread pools do not hold each other's cores); *_loop: the pair "
                     "repeated back to back with no pause, against the same isolated median. "
                     "docs/performance.md, \"Threads\".",
    "dense_backward": "dZ = dA W^T, dW = Z^T dA, db = 1^T dA at m x 1024 x 1024 (*_interleaved: "
                      "mg_dense_backward through ctypes, numpy and torch autograd timed round by "
                      "round in one process on one OpenBLAS instance, peers.py with MG_PEERS_LIB); "
                      "numpy `dA @ W.T; Z.T @ dA; dA.sum(0)`, torch autograd of `Z @ W + b`.",
}


def parse(path):
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) < 3 or parts[1] != "RESULT":
            continue
        d = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        d["source"] = parts[0]
        rows.append(d)
    return rows


def size_key(s):
    return tuple(int(x) for x in s.split("x") if x.isdigit())


def fmt_t(t):
    t = float(t)
    if t >= 1:
        return "%.3f s" % t
    if t >= 1e-3:
        return "%.2f ms" % (t * 1e3)
    return "%.1f us" % (t * 1e6)


def find(rows, wl, impl, size):
    for r in rows:
        if r["workload"] == wl and r["impl"] == impl and r["size"] == size:
            return r
    return None


def default_environment(machine):
    """Issue 13 asks for goal 3 in the default environment: say whether this
    run had it (no thread variable set for the C benches)."""
    line = next((l for l in machine.splitlines() if l.startswith("threads:")), "")
    tuned = [v for v in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")
             if v + "=" in line and v + "=unset" not in line]
    return ", default environment" if not tuned else ", with " + " ".join(tuned) + " set"


def goals(w, rows, machine):
    """The issue's stated goals, checked against this run's figures."""
    w("## Goals stated in the issues, in this run\n\n")
    w("| goal | measured | met |\n|---|---|---|\n")
    peer_goal(w, rows, "gradient", "1000000x64", "numpy", 2.0, "gradient 1e6 x 64: >= 2.0x numpy")
    g = find(rows, "gradient", "matgrad", "1000000x64")
    if g and g.get("bound_frac", "-") != "-":
        b = float(g["bound_frac"])
        sm = next((r for r in rows if r["workload"] == "read_bw" and r["source"] == "bench_linreg"
                   and r["impl"].startswith("stream") and not r["impl"].startswith("stream_best")
                   and r["size"] == "1000000x64"), None)
        sb = find(rows, "read_bw", "stream_best", "1000000x64")
        detail = "%s GB/s = %.0f%% of the median stream read" % (g["rate"], 100 * b)
        if sm:
            detail += " (%s GB/s)" % sm["rate"]
        if sb:
            detail += "; %.0f%% of the fastest stream run (%s GB/s)" % (
                100 * float(g["rate"]) / float(sb["rate"]), sb["rate"])
        w("| gradient 1e6 x 64: >= 85%% of read bandwidth | %s | %s |\n"
          % (detail, "yes" if b >= 0.85 else "no"))
    peer_goal(w, rows, "gd", "100000x32", "numpy", 100.0, "gd 1000 epochs 1e5 x 32: >= 100x numpy",
              ours="matgrad_auto")
    env = default_environment(machine)
    peer_goal(w, rows, "lstsq", "1000000x64", "numpy", 20.0,
              "lstsq 1e6 x 64: >= 20x numpy.linalg.lstsq" + env)
    peer_goal(w, rows, "normal_solve", "1000000x64", "numpy", 3.0,
              "normal solve 1e6 x 64: >= 3x numpy solve(A.T @ A, A.T @ y)" + env)
    gram_goal(w, rows)
    for peer in ("numpy", "torch_autograd"):
        # the same OpenBLAS dgemm on every side: judged on the calls timed
        # round by round in one process (peers.py with MG_PEERS_LIB) when the
        # run has them; a C bench and peers.py minutes apart mostly measure
        # the machine's drift between them
        if find(rows, "dense_backward", peer + "_interleaved", "4096x1024x1024"):
            peer_goal(w, rows, "dense_backward", "4096x1024x1024", peer + "_interleaved", 1.0,
                      "dense backward 4096 x 1024 x 1024: no slower than %s (round by round, "
                      "one process)" % peer, ours="matgrad_interleaved")
        else:
            peer_goal(w, rows, "dense_backward", "4096x1024x1024", peer, 1.0,
                      "dense backward 4096 x 1024 x 1024: no slower than %s" % peer)
    app_goals(w, rows)
    small_goals(w, rows)
    m = [r for r in rows if r["workload"] == "dense_backward" and r["impl"] == "matgrad"
         and r["size"] == "4096x1024x1024" and r.get("bound_frac", "-") != "-"]
    if m:
        w("| dense backward 4096 x 1024 x 1024: fraction of dgemm peak | %.0f%% | reported |\n"
          % (100 * float(m[0]["bound_frac"])))
    w("\n")


def gram_goal(w, rows):
    """Issue 13, goal 3: the Gram pass at 1e6 x 64 (mg_normal_solve, N p (p + 1)
    flops for A^T A) at >= 80% of the dgemm peak of this run.  bench_peak
    measures the peak with OpenBLAS's own kernel and, when run_all found a
    better one for this CPU, with that one too (the faster counts).
    bench_gram times mg_normal_solve and that dgemm alternately in the same
    rounds; where its lines are present, the goal is judged on them (both
    the ratio of the medians and that of the fastest runs): on this shared
    machine, two benchmarks minutes apart see different loads."""
    ns = [r for r in rows if r["workload"] == "normal_solve" and r["size"] == "1000000x64"
          and r["impl"].startswith("matgrad") and "bench_lstsq" in (r["source"] + r["impl"])]
    peaks = [r for r in rows if r["workload"] == "dgemm_peak" and r["source"] == "bench_peak"]
    if not ns or not peaks:
        return
    t = max(float(r["median_s"]) for r in ns)
    rate = 1e6 * 64 * 65 / t * 1e-9
    best = max(peaks, key=lambda r: float(r["rate"]))
    detail = "; ".join("%.0f%% of %s GFLOP/s (%s)" % (100 * rate / float(r["rate"]), r["rate"],
                                                     r["impl"].replace("openblas_", "OpenBLAS "))
                       for r in peaks)
    met = rate >= 0.8 * float(best["rate"])
    # bench_gram's same rounds (dgemm with the best kernel between the
    # passes): one load of the machine for both sides of the ratio; judged
    # there when present, on both the medians and the fastest runs
    share = {r["impl"]: float(r["bound_frac"]) for r in rows
             if r["workload"] == "gram_peak_share" and r.get("bound_frac", "-") != "-"}
    gemm = [r for r in rows if r["workload"] == "gram_scaling" and r["impl"].startswith("dgemm_")]
    if "medians" in share and "fastest" in share and gemm:
        detail = ("same rounds (bench_gram, dgemm %s GFLOP/s with OpenBLAS %s): %.0f%% from the "
                  "medians, %.0f%% from the fastest runs; bench_lstsq against bench_peak: %s"
                  % (gemm[0]["rate"], gemm[0]["impl"].replace("dgemm_", ""),
                     100 * share["medians"], 100 * share["fastest"], detail))
        met = share["medians"] >= 0.8 and share["fastest"] >= 0.8
    w("| Gram pass (mg_normal_solve) 1e6 x 64: >= 80%% of the dgemm peak | %.1f GFLOP/s: %s | %s |\n"
      % (rate, detail, "yes" if met else "no"))


def app_goals(w, rows):
    """Issue 13, goal 1 (bench_appsizes, one thread): mg_lstsq with statistics at most
    1.25x LAPACKE_dgels and at most GSL's gsl_multifit_linear at every size."""
    for r in rows:
        if r["workload"] != "lstsq_app" or r["impl"] != "mg_lstsq":
            continue
        d = find(rows, "lstsq_app", "dgels", r["size"])
        g = find(rows, "lstsq_app", "gsl", r["size"])
        t = float(r["median_s"])
        if d:
            ratio = t / float(d["median_s"])
            w("| mg_lstsq + statistics %s, 1 thread: <= 1.25x dgels | %.2fx (%s vs %s) | %s |\n"
              % (r["size"], ratio, fmt_t(t), fmt_t(d["median_s"]), "yes" if ratio <= 1.25 else "no"))
        if g:
            ratio = t / float(g["median_s"])
            w("| mg_lstsq + statistics %s, 1 thread: <= GSL | %.2fx (%s vs %s) | %s |\n"
              % (r["size"], ratio, fmt_t(t), fmt_t(g["median_s"]), "yes" if ratio <= 1.0 else "no"))
        ws = find(rows, "lstsq_app", "mg_lstsq_workspace", r["size"])
        if ws and d:
            tw = float(ws["median_s"])
            w("| the same through an mg_lstsq_workspace %s (the set-up paid once) | %.2fx dgels, "
              "%.2fx a plain call (%s) | reported |\n"
              % (r["size"], tw / float(d["median_s"]), tw / t, fmt_t(tw)))


def small_goals(w, rows):
    """Issue 13, goal 2 (bench_small): batched fits >= 1.8x a loop of single calls;
    a sliding-window step >= 10x refitting the window."""
    b = find_any(rows, "batch_fits", "mg_lstsq_batch")
    l = find_any(rows, "batch_fits", "mg_lstsq_loop")
    if b and l:
        ratio = float(l["median_s"]) / float(b["median_s"])
        w("| 10000 fits of 100 x 4: mg_lstsq_batch >= 1.8x a loop of mg_lstsq | %.2fx (%s vs %s) | %s |\n"
          % (ratio, fmt_t(b["median_s"]), fmt_t(l["median_s"]), "yes" if ratio >= 1.8 else "no"))
    s = find_any(rows, "window_step", "mg_window")
    f = find_any(rows, "window_step", "mg_lstsq_refit")
    if s and f:
        ratio = float(f["median_s"]) / float(s["median_s"])
        w("| sliding window W = 100, p = 4: a step >= 10x refitting | %.1fx (%s vs %s) | %s |\n"
          % (ratio, fmt_t(s["median_s"]), fmt_t(f["median_s"]), "yes" if ratio >= 10 else "no"))


def find_any(rows, wl, impl):
    return next((r for r in rows if r["workload"] == wl and r["impl"] == impl), None)


def peer_goal(w, rows, wl, size, peer, target, label, ours="matgrad"):
    """Our slowest measurement of wl at size (several benches may time it,
    labelled "<ours> (<bench>)") against the peer's median in the same run."""
    mine = [r for r in rows if r["workload"] == wl and r["size"] == size
            and (r["impl"] == ours or r["impl"].startswith(ours + " ("))]
    p = find(rows, wl, peer, size)
    if not mine or not p:
        return
    t = max(float(r["median_s"]) for r in mine)
    ratio = float(p["median_s"]) / t
    w("| %s | %.2fx (%s vs %s) | %s |\n"
      % (label, ratio, fmt_t(t), fmt_t(p["median_s"]), "yes" if ratio >= target else "no"))


# ---- the fit engine (bench_fit: fit_* workloads) ----------------------------

def fit_impl(impl):
    """'qr+icpt/b4096/t2' -> ('qr', True, 4096, 2)."""
    kind, blk, thr = impl.split("/")
    return kind.split("+")[0], kind.endswith("+icpt"), int(blk[1:]), int(thr[1:])


def fit_flops_per_row(kind, icpt, p):
    """QR: Householder update of the q x q triangle by one row (2 q^2, q = icpt + p + 1);
    GRAM: dsyrk's n^2 on the row of [X y] (n = p + 1)."""
    q = p + 1 + (1 if icpt else 0)
    return 2.0 * q * q if kind == "qr" else float((p + 1) ** 2)


def fit_engine(w, by_wl):
    """Tables for bench_fit's RESULT lines: accumulate and refinement throughput
    against the read bound and dgemm's peak of the same run; merge, finish,
    save/load costs."""
    if not any(n.startswith("fit_") for n in by_wl):
        return
    read = {(r["size"], r["impl"]): float(r["rate"]) for r in by_wl.get("fit_read_bw", [])}
    gemm = {(r["size"], r["impl"]): float(r["rate"]) for r in by_wl.get("fit_dgemm_peak", [])}
    w("## fit engine (bench_fit)\n\n")
    w("`mg_fit_*` through the public API, k = 1, [X y] in one row-major buffer fed in caller "
      "blocks; *t1* = one state on the calling thread, *tN* = one state per OpenMP thread over "
      "contiguous slices, merged in thread order. *read* = GB/s of [X y] over the streaming "
      "read of the same buffer on as many threads (same rounds); *flops* = QR 2 q^2 per row "
      "(q = intercept + p + 1), GRAM (p + 1)^2 per row, against dgemm's median rate (order "
      "1000) on as many threads, same rounds; *roofline* = max(read time, flop time at that peak) / median. The machine "
      "is shared: medians, noisy.\n\n")
    if read or gemm:
        w("Bounds of this run: " + "; ".join(
            ["read %s %s: %.2f GB/s" % (sz, im.split("/")[1], v) for (sz, im), v in sorted(read.items())]
            + ["dgemm %s %s: %.1f GFLOP/s" % (sz, im.split("/")[1], v) for (sz, im), v in sorted(gemm.items())])
          + ".\n\n")
    for wl, title in (("fit_accumulate", "accumulate"), ("fit_refine", "refinement replay")):
        rs = by_wl.get(wl, [])
        if not rs:
            continue
        w("### %s\n\n" % title)
        w("| size | kind | intercept | block | threads | median | Mrows/s | GB/s | read | "
          "GFLOP/s | flops | roofline |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
        for r in sorted(rs, key=lambda r: (size_key(r["size"]), fit_impl(r["impl"]))):
            kind, icpt, blk, thr = fit_impl(r["impl"])
            n, p = size_key(r["size"])
            t = float(r["median_s"])
            tag = "t1" if thr == 1 else "tall"
            bw = read.get((r["size"], "stream/" + tag))
            cells = [r["size"], kind, "yes" if icpt else "no", str(blk), str(thr), fmt_t(t),
                     "%.2f" % (n / t * 1e-6), "%.2f" % float(r["rate"]),
                     "-" if r.get("bound_frac", "-") == "-" else "%.0f%%" % (100 * float(r["bound_frac"]))]
            pk = gemm.get((r["size"], "openblas/" + tag))
            if wl == "fit_accumulate":
                fl = fit_flops_per_row(kind, icpt, p) * n
                cells.append("%.2f" % (fl / t * 1e-9))
                cells.append("%.0f%%" % (100 * fl / (pk * 1e9) / t) if pk else "-")
                tr = n * (p + 1) * 8 / (bw * 1e9) if bw else 0.0
                tf = fl / (pk * 1e9) if pk else 0.0
                cells.append("%.0f%%" % (100 * max(tr, tf) / t) if tr or tf else "-")
            else:
                cells += ["-", "-", "-"]
            w("| " + " | ".join(cells) + " |\n")
        w("\n")
    rs = by_wl.get("fit_today", [])
    if rs:
        acc = {(r["size"], r["impl"]): float(r["median_s"]) for r in by_wl.get("fit_accumulate", [])}
        w("### today's front ends on the same rows\n\n")
        w("`mg_normal_solve` and `mg_lstsq` (defaults) on the same [X y], no intercept, in the "
          "same rounds; the engine's columns: its accumulate median (finish adds microseconds, "
          "table below) over the front end's (below 1: the engine is faster).\n\n")
        w("| size | impl | median | GB/s | engine gram b4096 t1 / this | gram tN / this | "
          "qr b4096 t1 / this |\n|---|---|---|---|---|---|---|\n")
        for r in sorted(rs, key=lambda r: (size_key(r["size"]), r["impl"])):
            t = float(r["median_s"])
            tn = [v for (sz, im), v in acc.items() if sz == r["size"] and im.startswith("gram/b4096/t")
                  and im != "gram/b4096/t1"]
            cells = [acc.get((r["size"], "gram/b4096/t1")), tn[0] if tn else None,
                     acc.get((r["size"], "qr/b4096/t1"))]
            w("| %s | %s | %s | %.2f | %s |\n" % (
                r["size"], r["impl"], fmt_t(t), float(r["rate"]),
                " | ".join("-" if c is None else "%.2f" % (c / t) for c in cells)))
        w("\n")
    small = [("fit_merge", "merge"), ("fit_finish", "finish (cold)"),
             ("fit_finish_cached", "finish (cached factor)"), ("fit_save", "save"),
             ("fit_load", "load")]
    cost = collections.defaultdict(dict)
    image = {}
    for wl, _ in small:
        for r in by_wl.get(wl, []):
            p = size_key(r["size"])[1]
            cost[(p, r["impl"])][wl] = fmt_t(r["median_s"])
            if wl == "fit_save" and "image_bytes" in r:
                image[(p, r["impl"])] = "%s B" % r["image_bytes"]
    if cost:
        w("### merge, finish, save / load (per call)\n\n")
        w("Merge: two states of 10000 rows each (the destination grows as the loop repeats). "
          "Finish with every statistic (std_err, residual sd, R^2, adjusted R^2); cold = "
          "factorisation included (load + finish minus load), cached = the factor of the "
          "previous finish reused.\n\n")
        w("| p | kind | " + " | ".join(t for _, t in small) + " | image |\n")
        w("|---|---|" + "---|" * len(small) + "---|\n")
        for (p, impl) in sorted(cost):
            c = cost[(p, impl)]
            w("| %d | %s | %s | %s |\n" % (p, impl, " | ".join(c.get(wl, "-") for wl, _ in small),
                                           image.get((p, impl), "-")))
        w("\n")


def main():
    rows = parse(sys.argv[1])
    machine = open(sys.argv[2]).read().rstrip()
    out = open(sys.argv[3], "w")
    # An impl name that two sources (two benches) report for one workload is
    # labelled with its source everywhere in that workload.
    sources = collections.defaultdict(set)
    for r in rows:
        sources[(r["workload"], r["impl"])].add(r["source"])
    for r in rows:
        if len(sources[(r["workload"], r["impl"])]) > 1:
            r["impl"] = "%s (%s)" % (r["impl"], r["source"])
    by_wl = collections.defaultdict(list)
    for r in rows:
        by_wl[r["workload"]].append(r)

    w = out.write
    w("# Benchmarks\n\n")
    w("Generated by `bash bench/run_all.sh` (do not edit by hand). Every figure below comes "
      "from that one run: medians of the stated number of runs, ratios taken between "
      "measurements of the same run. See docs/performance.md for what the kernels do and "
      "why.\n\n")
    w("## Machine and run\n\n```\n%s\n```\n\n" % machine)
    w("Columns: *median* wall time; *rate* in the unit shown; *bound* = fraction of the "
      "physical limit measured in the same run (streaming read bandwidth for memory-bound "
      "work, dgemm peak for flop-bound work; `-` where none applies); *x numpy* / *x torch* "
      "= peer median / this median (above 1: faster than the peer).\n\n")
    goals(w, rows, machine)
    ksweep = sorted((n for n in by_wl if n.startswith("gradient_k")), key=lambda n: int(n[10:]))
    names = [n for n in ORDER if n in by_wl] + sorted(
        n for n in by_wl if n not in ORDER and n not in ksweep and n not in ("read_bw", "dgemm_peak", "fma_peak")
        and not n.startswith("fit_"))
    for wl in names:
        rs = by_wl[wl]
        w("## %s\n\n" % wl)
        if wl in NOTES:
            w(NOTES[wl] + "\n\n")
        sizes = sorted({r["size"] for r in rs}, key=size_key)
        w("| size | impl | median | rate | bound | x numpy | x torch |\n")
        w("|---|---|---|---|---|---|---|\n")
        for sz in sizes:
            at = [r for r in rs if r["size"] == sz]
            peer_t = {r["impl"]: float(r["median_s"]) for r in at if r["impl"] in PEERS}
            for r in at:
                t = float(r["median_s"])
                rate = "-" if r.get("rate", "-") == "-" else "%s %s" % (r["rate"], r.get("unit", ""))
                b = r.get("bound_frac", "-")
                bound = "-" if b == "-" else "%.0f%%" % (100 * float(b))
                ratios = []
                for p in PEERS:
                    if p in peer_t and r["impl"] not in PEERS:
                        ratios.append("%.2f" % (peer_t[p] / t))
                    else:
                        ratios.append("-")
                w("| %s | %s | %s | %s | %s | %s | %s |\n" % (sz, r["impl"], fmt_t(t), rate, bound,
                                                           ratios[0], ratios[1]))
        # Growth with N: each impl's median per size, relative to its smallest size.
        impls = []
        for r in rs:
            if r["impl"] not in impls:
                impls.append(r["impl"])
        if len(sizes) >= 2:
            w("\nGrowth with size (median relative to the smallest size each impl ran; "
              "sizes: %s):\n\n" % ", ".join(sizes))
            w("| impl | " + " | ".join(sizes) + " |\n|---|" + "---|" * len(sizes) + "\n")
            for im in impls:
                ts = {r["size"]: float(r["median_s"]) for r in rs if r["impl"] == im}
                base = next((ts[s] for s in sizes if s in ts), None)
                cells = ["%.3gx" % (ts[s] / base) if s in ts and base else "-" for s in sizes]
                w("| %s | %s |\n" % (im, " | ".join(cells)))
        w("\n")
    if ksweep:
        w("## gradient with k outputs (path choice)\n\n")
        w(NOTES["gradient_k1"] + "\n\n")
        w("| k | size | blocked dgemm | fused | fused / dgemm time |\n|---|---|---|---|---|\n")
        for n in ksweep:
            t = {r["impl"]: r for r in by_wl[n]}
            b, f = t.get("blocked_dgemm"), t.get("fused")
            ratio = "%.2f" % (float(f["median_s"]) / float(b["median_s"])) if b and f else "-"
            w("| %s | %s | %s | %s | %s |\n" % (n[10:], (b or f)["size"],
                                              fmt_t(b["median_s"]) if b else "-",
                                              fmt_t(f["median_s"]) if f else "-", ratio))
        w("\n")
    fit_engine(w, by_wl)
    cli = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "cli_scale.md")
    if os.path.exists(cli):
        w("## `matgrad fit` at scale (scripts/cli_scale.sh, run separately)\n\n")
        with open(cli) as f:
            w(f.read().rstrip("\n") + "\n\n")
    bounds = [r for r in rows if r["workload"] in ("read_bw", "dgemm_peak", "fma_peak")]
    if bounds:
        w("## Measured bounds\n\n| source | what | size | rate |\n|---|---|---|---|\n")
        for r in bounds:
            w("| %s | %s %s | %s | %s %s |\n" % (r["source"], r["workload"], r["impl"], r["size"],
                                                r["rate"], r.get("unit", "")))
        w("\n")
    out.close()


if __name__ == "__main__":
    main()
