#!/usr/bin/env python3
"""Coefficient LRE of numpy.linalg.lstsq (LAPACK gelsd) on the NIST StRD
linear least-squares datasets, for comparison with mg_lstsq
(docs/accuracy.md), and the 2-norm condition numbers of the design X and of
its power-of-two equilibration Z (each column's largest entry in [1/2, 1),
as mg_lstsq scales it).  Run with Debian's python3-numpy:

    /usr/bin/python3 tests/data/nist/peer_lre.py
"""
import glob
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ['Norris', 'Pontius', 'NoInt1', 'NoInt2', 'Filip', 'Longley',
         'Wampler1', 'Wampler2', 'Wampler3', 'Wampler4', 'Wampler5']


def load(name):
    path = os.path.join(HERE, name + '.txt')
    hdr, rows = {}, []
    for line in open(path):
        if line.startswith('#'):
            k, v = line[1:].split(':', 1)
            hdr[k.strip()] = v.split()
        elif line.strip():
            rows.append([float(t) for t in line.split()])
    rows = np.array(rows)
    model = hdr['model']
    if model[0] == 'poly':
        X = np.column_stack([rows[:, 1] ** k for k in range(int(model[1]) + 1)])
    elif model[0] == 'linear':
        X = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    else:
        X = rows[:, 1:]
    return X, rows[:, 0], [float(t) for t in hdr['certified_beta']]


def lre(est, cert):
    err = abs(est - cert) / abs(cert) if cert != 0 else abs(est)
    return 15.0 if err == 0 else max(0.0, min(15.0, -math.log10(err)))


for name in ORDER:
    X, y, cert = load(name)
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = np.frexp(np.abs(X).max(axis=0))[1]
    Z = X * np.ldexp(1.0, -e)
    print(f'{name:9s} numpy.linalg.lstsq LRE {min(lre(e, c) for e, c in zip(b, cert)):5.1f}'
          f'   cond(X) {np.linalg.cond(X):8.2e}   cond(Z) {np.linalg.cond(Z):8.2e}')
