#!/usr/bin/python3
"""Generates the spglib 2.0.2 tables used by symmetry/spglib/spg_database.ts and hall_symbol.ts.

Run with Debian's interpreter (python3-spglib 2.0.2 is installed for it only):

    /usr/bin/python3 tools/gen_spg_database.py

Writes
  symmetry/spglib/data/spg_database.json   spacegroup_types, symmetry_operation_index and the
                                           encoded symmetry_operations of spg_database.c
  symmetry/spglib/data/hall_symbol_tables.json
                                           the generator / VSpU tables of hall_symbol.c

The C tables are compiled into Debian's `_spglib` extension as static data; this script reads them
from that shared object (python does not expose centering, pointgroup_number, the raw encoded
operations nor hall_symbol.c's tables), and cross-checks everything python does expose
(`spglib.get_symmetry_from_database`, `spglib.get_spacegroup_type`) for all 530 Hall numbers, so a
mismatch stops the script instead of writing wrong data. Layer-group tables are not extracted.

spglib by Atsushi Togo, BSD-3-Clause (see symmetry/spglib/README.md).
"""
import json
import os
import re
import struct
import sys

import numpy as np
import spglib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DB = os.path.join(ROOT, "symmetry", "spglib", "data", "spg_database.json")
OUT_HALL = os.path.join(ROOT, "symmetry", "spglib", "data", "hall_symbol_tables.json")


def shared_object():
    d = os.path.dirname(spglib.__file__)
    for name in sorted(os.listdir(d)):
        if name.startswith("_spglib") and name.endswith(".so"):
            return open(os.path.join(d, name), "rb").read()
    sys.exit("no _spglib*.so next to " + spglib.__file__)


def decode(encoded):
    """spgdb_get_operation's decoding (ternary rotation, duodecimal translation)."""
    r = encoded % 19683
    digit = 6561
    rot = []
    for _ in range(3):
        row = []
        for _ in range(3):
            row.append((r % (digit * 3)) // digit - 1)
            digit //= 3
        rot.append(row)
    t = encoded // 19683
    digit = 144
    trans = []
    for _ in range(3):
        trans.append(((t % (digit * 12)) // digit) / 12)
        digit //= 12
    return rot, trans


def encode(rot, trans):
    r = 0
    for i in range(3):
        for j in range(3):
            r = r * 3 + (int(rot[i][j]) + 1)
    t = 0
    for k in range(3):
        t = t * 12 + int(round(trans[k] * 12)) % 12
    return t * 19683 + r


# ---------------------------------------------------------------------------------------------
# spg_database.c
# ---------------------------------------------------------------------------------------------
# struct SpacegroupType { int number; char schoenflies[7]; char hall_symbol[17];
#   char international[32]; char international_full[20]; char international_short[11];
#   char choice[6]; Centering centering; int pointgroup_number; }  -> 108 bytes on x86-64
TYPE_SIZE = 108
STRING_FIELDS = (7, 17, 32, 20, 11, 6)


def read_types(b):
    hits = [m.start() for m in re.finditer(re.escape(b"C1^1  \x00P 1 "), b)]
    if len(hits) != 1:
        sys.exit(f"spacegroup_types: expected one anchor, found {hits}")
    start = hits[0] - 4 - TYPE_SIZE  # record 0 precedes record 1
    types = []
    for k in range(531):
        rec = b[start + k * TYPE_SIZE:start + (k + 1) * TYPE_SIZE]
        number = struct.unpack("<i", rec[0:4])[0]
        p = 4
        strings = []
        for n in STRING_FIELDS:
            raw = rec[p:p + n].split(b"\x00")[0].decode("ascii")
            strings.append(raw.rstrip(" "))  # spgdb_remove_space
            p += n
        centering, pointgroup_number = struct.unpack("<ii", rec[100:108])
        types.append([number, *strings, centering, pointgroup_number])
    return types


def read_operations(b):
    first = struct.pack("<8i", 0, 0, 1, 1, 2, 2, 2, 4)
    hits = [m.start() for m in re.finditer(re.escape(first), b)]
    if len(hits) != 1:
        sys.exit(f"symmetry_operation_index: expected one anchor, found {hits}")
    flat = struct.unpack("<1062i", b[hits[0]:hits[0] + 531 * 8])
    index = [[flat[2 * k], flat[2 * k + 1]] for k in range(531)]
    total = index[530][0] + index[530][1]
    identity = encode(np.eye(3, dtype=int), [0, 0, 0])
    cands = [m.start() for m in re.finditer(re.escape(struct.pack("<3i", 0, identity, identity)), b)]
    for off in cands:
        ops = list(struct.unpack(f"<{total}i", b[off:off + 4 * total]))
        if all(check_hall_ops(h, index, ops) for h in range(1, 531)):
            return index, ops
    sys.exit("symmetry_operations: no candidate matches python's get_symmetry_from_database")


def check_hall_ops(h, index, ops):
    s = spglib.get_symmetry_from_database(h)
    n, st = index[h]
    if n != len(s["rotations"]):
        return False
    for k in range(n):
        rot, trans = decode(ops[st + k])
        if not np.array_equal(np.array(rot), s["rotations"][k]):
            return False
        if not np.allclose(trans, s["translations"][k], atol=1e-12, rtol=0):
            return False
    return True


def check_types(types):
    keys = ("number", "schoenflies", "hall_symbol", "international", "international_full",
            "international_short", "choice")
    for h in range(1, 531):
        t = spglib.get_spacegroup_type(h)
        row = types[h]
        ours = dict(zip(keys, row[:7]))
        ours["hall_symbol"] = ours["hall_symbol"].replace("=", '"')
        for k in keys:
            if ours[k] != t[k]:
                sys.exit(f"hall {h}: {k} differs: table {ours[k]!r} python {t[k]!r}")
        if not (1 <= row[7] <= 8) or not (1 <= row[8] <= 32):
            sys.exit(f"hall {h}: implausible centering/pointgroup {row[7:]}")
    if types[0][0] != 0:
        sys.exit("record 0 is not the empty type")


# ---------------------------------------------------------------------------------------------
# hall_symbol.c: static tables in source order (name, int generators or double VSpU, entries).
# GCC lays these file-static arrays out in reverse definition order, each aligned to 32 bytes,
# with tricli_VSpU (the first definition) at the highest address.
# ---------------------------------------------------------------------------------------------
HALL_TABLES = [
    ("tricli_VSpU", "d", 2), ("tricli_generators", "i", 2),
    ("monocli_VSpU", "d", 9), ("monocli_A_VSpU", "d", 9), ("monocli_B_VSpU", "d", 9),
    ("monocli_C_VSpU", "d", 9), ("monocli_I_VSpU", "d", 9), ("monocli_generators", "i", 9),
    ("ortho_VSpU", "d", 5), ("ortho_F_VSpU", "d", 5), ("ortho_I_VSpU", "d", 5),
    ("ortho_A_VSpU", "d", 5), ("ortho_B_VSpU", "d", 5), ("ortho_C_VSpU", "d", 5),
    ("ortho_generators", "i", 5),
    ("tetra_VSpU", "d", 8), ("tetra_I_VSpU", "d", 8), ("tetra_generators", "i", 8),
    ("trigo_VSpU", "d", 13), ("trigo_generators", "i", 13),
    ("rhombo_h_VSpU", "d", 8), ("rhombo_h_generators", "i", 8),
    ("rhombo_p_VSpU", "d", 8), ("rhombo_p_generators", "i", 8),
    ("hexa_VSpU", "d", 8), ("hexa_generators", "i", 8),
    ("cubic_VSpU", "d", 10), ("cubic_F_VSpU", "d", 10), ("cubic_I_VSpU", "d", 10),
    ("cubic_generators", "i", 10),
]


def det3(m):
    return (m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6]))


def read_hall_tables(b):
    eye = [1, 0, 0, 0, 1, 0, 0, 0, 1]
    zero = [0] * 9
    inv = [-1, 0, 0, 0, -1, 0, 0, 0, -1]
    gen = struct.pack("<54i", *(eye + zero + zero + eye + inv + zero))
    hits = [m.start() for m in re.finditer(re.escape(gen), b)]
    if len(hits) != 1:
        sys.exit(f"tricli_generators: expected one anchor, found {hits}")
    tricli_gen = hits[0]
    tricli_vspu = tricli_gen + 216
    tricli_vspu += (-tricli_vspu) % 32
    out = {}
    cur = None
    for name, kind, n in HALL_TABLES:
        size = n * (108 if kind == "i" else 216)
        if cur is None:
            start = tricli_vspu
        else:
            start = (cur - size) // 32 * 32
        fmt = "<%d%s" % (n * 27, kind)
        flat = struct.unpack(fmt, b[start:start + size])
        entries = [[list(flat[(k * 3 + r) * 9:(k * 3 + r) * 9 + 9]) for r in range(3)]
                   for k in range(n)]
        for e in entries:
            for row in e:
                if kind == "i":
                    if any(x not in (-1, 0, 1) for x in row) or (any(row) and abs(det3(row)) != 1):
                        sys.exit(f"{name}: not a generator table at {start}")
                else:
                    if any(not np.isfinite(x) or abs(x) > 10 or abs(x * 12 - round(x * 12)) > 1e-9
                           for x in row):
                        sys.exit(f"{name}: not a VSpU table at {start}")
            if kind == "i" and not any(e[0]):
                sys.exit(f"{name}: empty first generator at {start}")
        if name == "tricli_generators" and start != tricli_gen:
            sys.exit("layout: tricli_generators not where expected")
        out[name] = [[[int(x) if kind == "i" else float(x) for x in row] for row in e]
                     for e in entries]
        cur = start
    # The centring matrices are defined before tricli_VSpU, so they lie above it (again in
    # reverse order, 32-byte aligned): M_rc_inv ... M_bcc_inv (doubles), M_rc ... M_bcc (ints).
    cur = tricli_vspu + 2 * 216
    for name, kind in CENTERING_MATRICES:
        cur += (-cur) % 32
        size = 72 if kind == "d" else 36
        flat = struct.unpack("<9" + kind, b[cur:cur + size])
        m = [[flat[3 * r + c] for c in range(3)] for r in range(3)]
        out[name] = [[int(x) if kind == "i" else float(x) for x in row] for row in m]
        cur += size
    for name, _ in CENTERING_MATRICES:
        if name.endswith("_inv"):
            m = np.array(out[name[:-4]], dtype=float) @ np.array(out[name])
            if not np.allclose(m, np.eye(3), atol=1e-12):
                sys.exit(f"{name} is not the inverse of {name[:-4]}")
    return out


CENTERING_MATRICES = [
    ("M_rc_inv", "d"), ("M_cc_inv", "d"), ("M_bc_inv", "d"), ("M_ac_inv", "d"),
    ("M_fcc_inv", "d"), ("M_bcc_inv", "d"),
    ("M_rc", "i"), ("M_cc", "i"), ("M_bc", "i"), ("M_ac", "i"), ("M_fcc", "i"), ("M_bcc", "i"),
]


def main():
    b = shared_object()
    types = read_types(b)
    check_types(types)
    index, ops = read_operations(b)
    db = {
        "source": "spglib 2.0.2 spg_database.c (Debian python3-spglib), via tools/gen_spg_database.py",
        "fields": ["number", "schoenflies", "hallSymbol", "international", "internationalFull",
                   "internationalShort", "choice", "centering", "pointgroupNumber"],
        "types": types,
        "operationIndex": index,
        "operations": ops,
    }
    with open(OUT_DB, "w") as f:
        json.dump(db, f, separators=(",", ":"))
        f.write("\n")
    hall = read_hall_tables(b)
    hall_doc = {"source": "spglib 2.0.2 hall_symbol.c (Debian python3-spglib), via tools/gen_spg_database.py"}
    hall_doc.update(hall)
    with open(OUT_HALL, "w") as f:
        json.dump(hall_doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT_DB} ({len(types) - 1} types, {len(ops)} operations)")
    print(f"wrote {OUT_HALL} ({len(hall)} tables)")


if __name__ == "__main__":
    main()
