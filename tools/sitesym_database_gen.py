#!/usr/bin/env python3
"""Dump spglib 2.0.2's site-symmetry (Wyckoff) database to symmetry/spglib/data/sitesym_database_table.json.

Reads the table through the C functions exported by Debian's python3-spglib 2.0.2 extension
(ssmdb_get_wyckoff_indices, ssmdb_get_coordinate, ssmdb_get_site_symmetry_symbol), so the
TypeScript port (symmetry/spglib/sitesym_database.ts) carries the same data as the reference.
Data of spglib by Atsushi Togo, BSD-3-Clause.
"""
import ctypes
import glob
import json
import os

lib = ctypes.CDLL(glob.glob("/usr/lib/python3/dist-packages/spglib/_spglib*.so")[0])
lib.ssmdb_get_coordinate.restype = ctypes.c_int
indices = []
for h in range(531):
    ind = (ctypes.c_int * 2)()
    lib.ssmdb_get_wyckoff_indices(ind, h)
    indices.append([ind[0], ind[1]])
n = max(s + c for s, c in indices)
coords = []
for idx in range(n):
    rot = (ctypes.c_int * 9)()
    tr = (ctypes.c_double * 3)()
    sym = ctypes.create_string_buffer(7)
    m = lib.ssmdb_get_coordinate(rot, tr, idx)
    lib.ssmdb_get_site_symmetry_symbol(sym, idx)
    coords.append([m, list(rot), list(tr), sym.value.decode()])
out = os.path.join(os.path.dirname(__file__), "..", "symmetry", "spglib", "data", "sitesym_database_table.json")
with open(out, "w") as f:
    json.dump({"indices": indices, "coordinates": coords}, f, separators=(",", ":"))
print(len(indices), len(coords))
