#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Peer timings for bench/run_all.sh: the same workloads as the C benches,
written as a numpy or PyTorch user would write them.  Prints the RESULT
lines of bench/common (impl=numpy / impl=torch).  A missing peer is skipped
with a message (bench/deps.sh installs Debian's python3-numpy and
python3-torch).

Environment: MG_BENCH_REPS (default 5) runs per measurement, median taken;
MG_BENCH_QUICK=1 shrinks the largest sizes; MG_PEERS_ONLY=workload[,..]
limits the workloads.

MG_PEERS_LIB=path/to/libmatgrad.so instead times the dense backward three
ways round by round in this one process: mg_dense_backward through ctypes,
numpy and torch autograd (impl=*_interleaved), the library loaded before
numpy and global, so that all three call the same OpenBLAS instance (numpy
would otherwise bring its own copy, whose threads would compete with it).
The three run the same dgemm: only measurements taken side by side tell them
apart on a machine whose speed drifts between one bench and the next."""
import ctypes
import os
import sys
import time

MG_LIB = None
if os.environ.get("MG_PEERS_LIB"):
    MG_LIB = ctypes.CDLL(os.environ["MG_PEERS_LIB"], mode=ctypes.RTLD_GLOBAL)

REPS = max(1, int(os.environ.get("MG_BENCH_REPS", "5")))
QUICK = os.environ.get("MG_BENCH_QUICK", "0") not in ("", "0")
ONLY = set(filter(None, os.environ.get("MG_PEERS_ONLY", "").split(",")))
EPOCHS = 1000
LR = 0.1

try:
    import numpy as np
except ImportError:
    np = None
    print("peers: numpy not installed (bash bench/deps.sh); skipping numpy", file=sys.stderr)
try:
    import torch
except ImportError:
    torch = None
    print("peers: torch not installed (bash bench/deps.sh); skipping torch", file=sys.stderr)


def median_time(fn, reps=REPS):
    t0 = time.perf_counter()
    fn()  # warm-up (page faults, thread pools); not counted
    if time.perf_counter() - t0 > 2.0:
        reps = max(5, min(reps, 5))  # long runs: five samples bound the harness time
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    n = len(ts)
    return ts[n // 2] if n % 2 else 0.5 * (ts[n // 2 - 1] + ts[n // 2])


def interleaved_times(fns, reps=REPS):
    """Medians of each fn over the same rounds (one call of each per round,
    after one warm-up round), at least eleven rounds; the order within a round
    rotates, so no fn always follows the same other one."""
    for fn in fns:
        fn()
    ts = [[] for _ in fns]
    for r in range(max(reps, 11)):
        for s in range(len(fns)):
            i = (r + s) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            ts[i].append(time.perf_counter() - t0)
    out = []
    for v in ts:
        v.sort()
        n = len(v)
        out.append(v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2]))
    return out


class MgMatrix(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_double)), ("rows", ctypes.c_size_t),
                ("cols", ctypes.c_size_t), ("stride", ctypes.c_size_t)]


def mg_view(a):
    """mg_matrix view of a C-contiguous float64 array (a 1-D one as one row)."""
    assert a.dtype == np.float64 and a.flags["C_CONTIGUOUS"]
    rows, cols = a.shape if a.ndim == 2 else (1, a.shape[0])
    return MgMatrix(a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), rows, cols, cols)


def result(workload, impl, size, t, rate=None, unit="-"):
    r = "-" if rate is None else "%.4g" % rate
    print("RESULT workload=%s impl=%s size=%s median_s=%.6g rate=%s unit=%s bound_frac=-"
          % (workload, impl, size, t, r, unit if rate is not None else "-"), flush=True)


def wanted(w):
    return not ONLY or w in ONLY


def data(n, j, k=1, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, j)), rng.uniform(-1, 1, (n, k)), rng.uniform(-1, 1, (j, k))


def gradient():
    for n in (10000, 100000, 300000 if QUICK else 1000000):
        j = 64
        A, Y, W = data(n, j)
        size = "%dx%d" % (n, j)
        gb = n * (j + 1) * 8e-9
        if np is not None:
            t = median_time(lambda: -2.0 / n * A.T @ (Y - A @ W))
            result("gradient", "numpy", size, t, gb / t, "GB/s")
        if torch is not None:
            At, Yt, Wt = torch.from_numpy(A), torch.from_numpy(Y), torch.from_numpy(W)
            t = median_time(lambda: -2.0 / n * At.T @ (Yt - At @ Wt))
            result("gradient", "torch", size, t, gb / t, "GB/s")
            Wg = Wt.clone().requires_grad_(True)

            def autograd():
                Wg.grad = None
                loss = ((Yt - At @ Wg) ** 2).sum() / n
                loss.backward()
            t = median_time(autograd)
            result("gradient", "torch_autograd", size, t, gb / t, "GB/s")


def gd():
    for n in (10000, 100000, 120000 if QUICK else 200000):
        j = 32
        A, Y, _ = data(n, j, seed=2)
        size = "%dx%d" % (n, j)
        gb = EPOCHS * n * (j + 1) * 8e-9
        if np is not None:
            def loop():
                W = np.zeros((j, 1))
                for _ in range(EPOCHS):
                    R = Y - A @ W
                    loss = float((R * R).sum()) / n  # reported each epoch, as mg_gd_fit does
                    W -= LR * (-2.0 / n * (A.T @ R))
                return loss
            t = median_time(loop)
            result("gd", "numpy", size, t, gb / t, "GB/s")
        if torch is not None and n > 100000:
            print("peers: torch gd at %s skipped (over 20 s per run here; bounds the harness time)"
                  % size, file=sys.stderr)
        elif torch is not None:
            At, Yt = torch.from_numpy(A), torch.from_numpy(Y)

            def tloop():
                W = torch.zeros((j, 1), dtype=torch.float64)
                for _ in range(EPOCHS):
                    R = Yt - At @ W
                    loss = float((R * R).sum()) / n
                    W -= LR * (-2.0 / n * (At.T @ R))
                return loss
            t = median_time(tloop)
            result("gd", "torch", size, t, gb / t, "GB/s")


def normal_solve():
    big = 300000 if QUICK else 1000000
    for n, j in ((10000, 16), (100000, 32), (10000, 64), (100000, 64), (big, 64)):
        A, Y, _ = data(n, j, seed=3)
        size = "%dx%d" % (n, j)
        gf = n * j * j * 1e-9  # dsyrk's flops, as in bench_linreg
        if np is not None:
            t = median_time(lambda: np.linalg.solve(A.T @ A, A.T @ Y))
            result("normal_solve", "numpy", size, t, gf / t, "GFLOP/s")
        if torch is not None:
            At, Yt = torch.from_numpy(A), torch.from_numpy(Y)
            t = median_time(lambda: torch.linalg.solve(At.T @ At, At.T @ Yt))
            result("normal_solve", "torch", size, t, gf / t, "GFLOP/s")


def lstsq():
    for n, j in ((10000, 16), (100000, 32), (300000 if QUICK else 1000000, 64)):
        A, Y, _ = data(n, j, seed=4)
        size = "%dx%d" % (n, j)
        gb = n * j * 8e-9
        if np is not None:
            t = median_time(lambda: np.linalg.lstsq(A, Y, rcond=None))
            result("lstsq", "numpy", size, t, gb / t, "GB/s")
        if torch is not None:
            At, Yt = torch.from_numpy(A), torch.from_numpy(Y)
            t = median_time(lambda: torch.linalg.lstsq(At, Yt))
            result("lstsq", "torch", size, t, gb / t, "GB/s")


def dense_backward():
    k = n_out = 1024
    for m in (1024, 2048, 4096):
        rng = np.random.default_rng(5)
        Z, W = rng.uniform(-1, 1, (m, k)), rng.uniform(-1, 1, (k, n_out))
        dA = rng.uniform(-1, 1, (m, n_out))
        size = "%dx%dx%d" % (m, k, n_out)
        gf = 4.0 * m * k * n_out * 1e-9  # two products of 2 m k n flops
        if MG_LIB is not None:
            dense_backward_interleaved(size, gf, Z, W, dA)
            continue
        if np is not None:
            t = median_time(numpy_backward(Z, W, dA))
            result("dense_backward", "numpy", size, t, gf / t, "GFLOP/s")
        if torch is not None:
            autograd, plain = torch_backward(Z, W, dA)
            t = median_time(autograd)
            result("dense_backward", "torch_autograd", size, t, gf / t, "GFLOP/s")
            t = median_time(plain)
            result("dense_backward", "torch", size, t, gf / t, "GFLOP/s")


def numpy_backward(Z, W, dA):
    """The dense layer's backward pass as a numpy user writes it."""
    return lambda: (dA @ W.T, Z.T @ dA, dA.sum(0))


def torch_backward(Z, W, dA):
    """The backward pass through torch autograd of Z W + b, and the same
    products written out in torch."""
    n_out = W.shape[1]
    Zt = torch.from_numpy(Z).requires_grad_(True)
    Wt = torch.from_numpy(W).requires_grad_(True)
    bt = torch.zeros(n_out, dtype=torch.float64, requires_grad=True)
    dAt = torch.from_numpy(dA)
    out = Zt @ Wt + bt

    def autograd():
        Zt.grad = Wt.grad = bt.grad = None
        out.backward(dAt, retain_graph=True)
    return autograd, lambda: (dAt @ Wt.detach().T, Zt.detach().T @ dAt, dAt.sum(0))


def dense_backward_interleaved(size, gf, Z, W, dA):
    m, k = Z.shape
    n_out = W.shape[1]
    dZ, dW, db = np.empty((m, k)), np.empty((k, n_out)), np.empty(n_out)
    views = [mg_view(x) for x in (Z, W, dA, dZ, dW, db)]
    refs = [ctypes.byref(v) for v in views]
    MG_LIB.mg_dense_backward.restype = ctypes.c_int

    def ours():
        if MG_LIB.mg_dense_backward(*refs) != 0:
            raise RuntimeError("mg_dense_backward failed")
    fns, names = [ours, numpy_backward(Z, W, dA)], ["matgrad", "numpy"]
    if torch is not None:
        fns.append(torch_backward(Z, W, dA)[0])
        names.append("torch_autograd")
    for name, t in zip(names, interleaved_times(fns)):
        result("dense_backward", name + "_interleaved", size, t, gf / t, "GFLOP/s")


def main():
    if np is None:
        print("peers: numpy is required to build the inputs; nothing measured", file=sys.stderr)
        return 0
    if torch is not None:
        print("peers: numpy %s, torch %s (%d threads)" % (np.__version__, torch.__version__,
                                                          torch.get_num_threads()), flush=True)
    else:
        print("peers: numpy %s" % np.__version__, flush=True)
    for name, fn in (("gradient", gradient), ("gd", gd), ("normal_solve", normal_solve),
                     ("lstsq", lstsq), ("dense_backward", dense_backward)):
        if wanted(name):
            t0 = time.perf_counter()
            fn()
            print("peers: %s done in %.1f s" % (name, time.perf_counter() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
