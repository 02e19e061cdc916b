#!/usr/bin/env python3
"""spglib 2.0.2's internal symmetry.c / primitive.c answers, for the TypeScript port's tests.

Debian's python3-spglib 2.0.2 links the C library statically into `_spglib*.so` and leaves the
internal functions (`sym_get_operation`, `prm_get_primitive`, ...) in its dynamic symbol table,
so ctypes can call them directly: that is the reference for `symmetry/spglib/symmetry.ts` and
`symmetry/spglib/primitive.ts`, whose results (and ORDER of operations) never reach python's
public API unchanged (`get_symmetry` returns the dataset's refined operations).

Reads JSON lines on stdin, one request each:
  {"id": ..., "lattice": [[ax,ay,az],[bx,by,bz],[cx,cy,cz]] (ROWS), "positions": [[x,y,z],...],
   "numbers": [1,...], "symprec": 0.1, "angle_tolerance": 5,
   "what": ["operation", "pure_translation", "primitive", "reduce_operation",
            "primitive_symmetry", "lattice_vectors"], "reduce_symprec": 0.01}
("reduce_operation" reduces the operations found at symprec with reduce_symprec;
"primitive_symmetry" runs prm_get_primitive_symmetry on the operations found at symprec;
"lattice_vectors" runs prm_get_primitive_lattice_vectors on the pure translations found)
and writes one JSON line per request. The primitive's lattice comes back as COLUMNS (spglib's C
layout, as `symmetry/spglib/types.ts` keeps it). Tests only; never a runtime dependency.
"""
import ctypes as C
import glob
import json
import os
import sys

import spglib

_SO = glob.glob(os.path.join(os.path.dirname(spglib.__file__), "_spglib*.so"))[0]
lib = C.CDLL(_SO)


class Cell(C.Structure):
    """spglib 2.0.x `Cell` (src/cell.h)."""

    _fields_ = [
        ("size", C.c_int),
        ("aperiodic_axis", C.c_int),
        ("lattice", C.POINTER(C.c_double * 3)),
        ("types", C.POINTER(C.c_int)),
        ("position", C.POINTER(C.c_double * 3)),
        ("tensor_rank", C.c_int),
        ("tensors", C.POINTER(C.c_double)),
    ]


class Symmetry(C.Structure):
    """spglib `Symmetry` (src/symmetry.h)."""

    _fields_ = [
        ("size", C.c_int),
        ("rot", C.POINTER((C.c_int * 3) * 3)),
        ("trans", C.POINTER(C.c_double * 3)),
    ]


class VecDBL(C.Structure):
    """spglib `VecDBL` (src/mathfunc.h)."""

    _fields_ = [("size", C.c_int), ("vec", C.POINTER(C.c_double * 3))]


class Primitive(C.Structure):
    """spglib 2.0.x `Primitive` (src/primitive.h)."""

    _fields_ = [
        ("cell", C.POINTER(Cell)),
        ("mapping_table", C.POINTER(C.c_int)),
        ("size", C.c_int),
        ("tolerance", C.c_double),
        ("angle_tolerance", C.c_double),
        ("orig_lattice", C.POINTER(C.c_double * 3)),
    ]


lib.cel_alloc_cell.restype = C.POINTER(Cell)
lib.cel_alloc_cell.argtypes = [C.c_int, C.c_int]
lib.cel_set_cell.restype = None
lib.cel_set_cell.argtypes = [C.POINTER(Cell), C.c_void_p, C.c_void_p, C.c_void_p]
lib.cel_free_cell.argtypes = [C.POINTER(Cell)]
lib.sym_get_operation.restype = C.POINTER(Symmetry)
lib.sym_get_operation.argtypes = [C.POINTER(Cell), C.c_double, C.c_double]
lib.sym_reduce_operation.restype = C.POINTER(Symmetry)
lib.sym_reduce_operation.argtypes = [C.POINTER(Cell), C.POINTER(Symmetry), C.c_double, C.c_double]
lib.sym_free_symmetry.argtypes = [C.POINTER(Symmetry)]
lib.sym_get_pure_translation.restype = C.POINTER(VecDBL)
lib.sym_get_pure_translation.argtypes = [C.POINTER(Cell), C.c_double]
lib.prm_get_primitive.restype = C.POINTER(Primitive)
lib.prm_get_primitive.argtypes = [C.POINTER(Cell), C.c_double, C.c_double]
lib.prm_free_primitive.argtypes = [C.POINTER(Primitive)]
lib.prm_get_primitive_lattice_vectors.restype = C.c_int
lib.prm_get_primitive_lattice_vectors.argtypes = [C.c_void_p, C.POINTER(Cell), C.POINTER(VecDBL), C.c_double, C.c_double]
lib.mat_free_VecDBL.argtypes = [C.POINTER(VecDBL)]
lib.prm_get_primitive_symmetry.restype = C.POINTER(Symmetry)
lib.prm_get_primitive_symmetry.argtypes = [C.c_void_p, C.POINTER(Symmetry), C.c_double]


def make_cell(req):
    n = len(req["numbers"])
    rows = req["lattice"]
    lat = ((C.c_double * 3) * 3)(*[(C.c_double * 3)(*[rows[j][i] for j in range(3)]) for i in range(3)])
    pos = ((C.c_double * 3) * n)(*[(C.c_double * 3)(*p) for p in req["positions"]])
    typ = (C.c_int * n)(*req["numbers"])
    cell = lib.cel_alloc_cell(n, -1)
    lib.cel_set_cell(cell, C.addressof(lat), C.addressof(pos), C.addressof(typ))
    return cell


def read_cell(cp):
    c = cp.contents
    return {
        "size": c.size,
        "lattice": [[c.lattice[i][j] for j in range(3)] for i in range(3)],
        "types": [c.types[i] for i in range(c.size)],
        "position": [[c.position[i][j] for j in range(3)] for i in range(c.size)],
    }


def read_sym(sp):
    s = sp.contents
    return {
        "rotations": [[[s.rot[k][i][j] for j in range(3)] for i in range(3)] for k in range(s.size)],
        "translations": [[s.trans[k][j] for j in range(3)] for k in range(s.size)],
    }


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        out = {"id": req.get("id")}
        symprec = req.get("symprec", 0.1)
        angle = req.get("angle_tolerance", 5)
        what = req.get("what", ["operation"])
        cell = make_cell(req)
        if "operation" in what or "reduce_operation" in what or "primitive_symmetry" in what:
            sp = lib.sym_get_operation(cell, symprec, angle)
            out["operation"] = read_sym(sp) if sp else None
            if sp and "reduce_operation" in what:
                rp = lib.sym_reduce_operation(cell, sp, req.get("reduce_symprec", symprec), angle)
                out["reduce_operation"] = read_sym(rp) if rp else None
                if rp:
                    lib.sym_free_symmetry(rp)
            if sp and "primitive_symmetry" in what:
                t_mat = ((C.c_double * 3) * 3)()
                ps = lib.prm_get_primitive_symmetry(C.addressof(t_mat), sp, symprec)
                out["primitive_symmetry"] = (
                    {"t_mat": [[t_mat[i][j] for j in range(3)] for i in range(3)], **read_sym(ps)} if ps else None
                )
                if ps:
                    lib.sym_free_symmetry(ps)
            if sp:
                lib.sym_free_symmetry(sp)
        if "pure_translation" in what or "lattice_vectors" in what:
            vp = lib.sym_get_pure_translation(cell, symprec)
            out["pure_translation"] = (
                [[vp.contents.vec[k][j] for j in range(3)] for k in range(vp.contents.size)] if vp else None
            )
            if vp and "lattice_vectors" in what:
                lat = ((C.c_double * 3) * 3)()
                multi = lib.prm_get_primitive_lattice_vectors(C.addressof(lat), cell, vp, symprec, angle)
                out["lattice_vectors"] = (
                    {"multi": multi, "prim_lattice": [[lat[i][j] for j in range(3)] for i in range(3)]} if multi else None
                )
            if vp:
                lib.mat_free_VecDBL(vp)
        if "primitive" in what:
            pp = lib.prm_get_primitive(cell, symprec, angle)
            if pp:
                p = pp.contents
                out["primitive"] = {
                    "cell": read_cell(p.cell),
                    "mapping_table": [p.mapping_table[i] for i in range(p.size)],
                    "size": p.size,
                    "tolerance": p.tolerance,
                    "angle_tolerance": p.angle_tolerance,
                    "orig_lattice": [[p.orig_lattice[i][j] for j in range(3)] for i in range(3)],
                }
                lib.prm_free_primitive(pp)
            else:
                out["primitive"] = None
        lib.cel_free_cell(cell)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
