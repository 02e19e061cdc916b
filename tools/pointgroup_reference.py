#!/usr/bin/env python3
"""Reference answers from spglib 2.0.2's own C point-group code, for `symmetry/spglib/pointgroup_test.ts`.

Debian's python3-spglib 2.0.2 extension module exports the C functions `ptg_get_transformation_matrix`,
`ptg_get_pointgroup` and `ptg_get_pointsymmetry` (global symbols of pointgroup.c); this script calls them
through ctypes. Reads JSON lines on stdin:
  {"id": ..., "rotations": [[[r00,r01,r02],[r10,...],[r20,...]], ...]}   (at most 48 distinct rotations)
  {"id": ..., "pointgroup_number": n}                                      (0..32)
and writes one JSON line each:
  {"id", "number", "symbol", "schoenflies", "holohedry", "laue", "transformation_matrix", "pointsymmetry"}
  {"id", "number", "symbol", "schoenflies", "holohedry", "laue"}
Tests only; never a runtime dependency.
"""
import ctypes
import glob
import json
import os
import sys

import spglib


class Pointgroup(ctypes.Structure):
    _fields_ = [
        ("number", ctypes.c_int),
        ("symbol", ctypes.c_char * 6),
        ("schoenflies", ctypes.c_char * 4),
        ("holohedry", ctypes.c_int),
        ("laue", ctypes.c_int),
    ]


class PointSymmetry(ctypes.Structure):
    _fields_ = [("rot", ctypes.c_int * (48 * 9)), ("size", ctypes.c_int)]


def load():
    so = glob.glob(os.path.join(os.path.dirname(spglib.__file__), "_spglib*.so"))[0]
    lib = ctypes.CDLL(so)
    lib.ptg_get_transformation_matrix.restype = Pointgroup
    lib.ptg_get_pointgroup.restype = Pointgroup
    lib.ptg_get_pointgroup.argtypes = [ctypes.c_int]
    lib.ptg_get_pointsymmetry.restype = PointSymmetry
    return lib


def pg_fields(pg):
    return {
        "number": pg.number,
        "symbol": pg.symbol.decode(),
        "schoenflies": pg.schoenflies.decode(),
        "holohedry": pg.holohedry,
        "laue": pg.laue,
    }


def main():
    lib = load()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        out = {"id": req.get("id")}
        if "pointgroup_number" in req:
            out.update(pg_fields(lib.ptg_get_pointgroup(req["pointgroup_number"])))
        else:
            rots = req["rotations"]
            flat = [x for r in rots for row in r for x in row]
            arr = (ctypes.c_int * max(len(flat), 9))(*flat)
            tmat = (ctypes.c_int * 9)()
            pg = lib.ptg_get_transformation_matrix(tmat, arr, len(rots))
            out.update(pg_fields(pg))
            if pg.number == 0:
                out["holohedry"] = out["laue"] = None  # left uninitialized by spglib
                out["symbol"] = out["schoenflies"] = None
            out["transformation_matrix"] = [list(tmat[3 * i:3 * i + 3]) for i in range(3)]
            ps = lib.ptg_get_pointsymmetry(arr, len(rots))
            out["pointsymmetry"] = [
                [list(ps.rot[9 * k + 3 * i:9 * k + 3 * i + 3]) for i in range(3)] for k in range(ps.size)
            ]
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
