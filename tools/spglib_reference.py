#!/usr/bin/env python3
"""Reference answers from Debian's python3-spglib 2.0.2 for the TypeScript port's tests.

Reads JSON lines on stdin, one request each:
  {"id": ..., "lattice": [[ax,ay,az],[bx,by,bz],[cx,cy,cz]] (ROWS, as python spglib takes),
   "positions": [[x,y,z],...], "numbers": [1,...], "symprec": 0.1, "angle_tolerance": 5,
   "what": ["dataset", "symmetry", "refine", "primitive", "delaunay", "niggli"]}
and writes one JSON line per request with the asked-for results (numpy arrays as lists;
lattices as rows, the python spglib layout). Errors become {"id", "error"}.
Never a runtime dependency of the harness: tests only.
"""
import json
import sys

import numpy as np
import spglib


def tolist(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, dict):
        return {k: tolist(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [tolist(v) for v in x]
    return x


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        out = {"id": req.get("id")}
        try:
            cell = (np.array(req["lattice"], dtype=float), np.array(req["positions"], dtype=float),
                    np.array(req["numbers"], dtype=int))
            symprec = req.get("symprec", 0.1)
            angle = req.get("angle_tolerance", 5)
            what = req.get("what", ["dataset"])
            if "dataset" in what:
                d = spglib.get_symmetry_dataset(cell, symprec=symprec, angle_tolerance=angle)
                out["dataset"] = tolist(d) if d is not None else None
            if "symmetry" in what:
                s = spglib.get_symmetry(cell, symprec=symprec, angle_tolerance=angle)
                out["symmetry"] = tolist(s) if s is not None else None
            if "refine" in what:
                r = spglib.refine_cell(cell, symprec=symprec, angle_tolerance=angle)
                out["refine"] = tolist(r) if r is not None else None
            if "primitive" in what:
                r = spglib.find_primitive(cell, symprec=symprec, angle_tolerance=angle)
                out["primitive"] = tolist(r) if r is not None else None
            if "delaunay" in what:
                r = spglib.delaunay_reduce(cell[0], eps=req.get("eps", 1e-5))
                out["delaunay"] = tolist(r) if r is not None else None
            if "niggli" in what:
                r = spglib.niggli_reduce(cell[0], eps=req.get("eps", 1e-5))
                out["niggli"] = tolist(r) if r is not None else None
            if "database" in what:
                h = req["hall_number"]
                out["database"] = {"symmetry": tolist(spglib.get_symmetry_from_database(h)),
                                   "type": tolist(spglib.get_spacegroup_type(h))}
        except Exception as e:  # noqa: BLE001 - every failure is reported, never a crash
            out["error"] = f"{type(e).__name__}: {e}"
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
