#!/usr/bin/python3
"""Generate symmetry/data/spglib_hall.json and symmetry/data/space_group_ops.json.

Run with Debian's interpreter (python3-pymatgen 2022.11.7, python3-spglib 2.0.2):

    /usr/bin/python3 tools/gen_symmetry_tables.py && deno fmt symmetry/data

spglib_hall.json, per Hall number 1..530 (spglib's numbering, which moyo shares):
  - number: ITA space-group number
  - international: spglib's short H-M symbol (`get_spacegroup_type(h)["international_short"]`),
    which is what pymatgen's `SpacegroupAnalyzer.get_space_group_symbol()` prints
  - ops: the operators `SpacegroupAnalyzer(refined, 0.1).get_symmetry_operations()` lists for a
    refined (standard-setting) cell of this Hall number, as `SymmOp.as_xyz_string()` in spglib's
    order. That is `spglib.get_symmetry_from_database(h)` except for F-centred groups, whose
    centring blocks spglib's dataset lists in another order; for each default F Hall number the order
    is observed on a generic structure (one general-position orbit in an ideal lattice) and used
    when it is a permutation of the database set. Translations are cleaned the way
    `SpacegroupAnalyzer._get_symmetry` does (Fraction.limit_denominator(1000), |t| == 1 -> 0).

space_group_ops.json, per spglib international symbol of the default (smallest) Hall number of each
space-group type: `SpaceGroup(symbol).symmetry_ops` as `SymmOp.as_xyz_string()` in Python set
iteration order, i.e. what upstream CrystaLLM's `replace_symmetry_operators` writes.
"""
import json
import sys
from fractions import Fraction

import numpy as np
import pymatgen
import spglib
from pymatgen.core.operations import SymmOp
from pymatgen.symmetry.groups import SpaceGroup

out_dir = sys.argv[1] if len(sys.argv) > 1 else "symmetry/data"


def xyz(rot, trans):
    t = np.array([float(Fraction.from_float(c).limit_denominator(1000)) for c in trans])
    t[np.abs(t) == 1] = 0
    return SymmOp.from_rotation_and_translation(rot, t).as_xyz_string()


from pymatgen.core import Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer


def ideal_lattice(number):
    if number <= 2:
        return Lattice.from_parameters(4.1, 4.7, 5.3, 81, 85, 77)
    if number <= 15:
        return Lattice.from_parameters(4.1, 4.7, 5.3, 90, 101, 90)
    if number <= 74:
        return Lattice.from_parameters(4.1, 4.7, 5.3, 90, 90, 90)
    if number <= 142:
        return Lattice.from_parameters(4.1, 4.1, 5.3, 90, 90, 90)
    if number <= 194:
        return Lattice.from_parameters(4.1, 4.1, 5.3, 90, 90, 120)
    return Lattice.from_parameters(4.1, 4.1, 4.1, 90, 90, 90)


def observed_ops(h, number, db):
    """Operators of a refined generic structure of Hall number h, or None."""
    x = np.array([0.1234, 0.2345, 0.3456])
    coords = []
    for r, t in zip(db["rotations"], db["translations"]):
        y = np.mod(r @ x + t, 1)
        if not any(np.allclose(np.mod(y - c + 0.5, 1) - 0.5, 0, atol=1e-6) for c in coords):
            coords.append(y)
    s = Structure(ideal_lattice(number), ["C"] * len(coords), coords)
    sga = SpacegroupAnalyzer(s, 0.1)
    if sga.get_symmetry_dataset() is None or sga.get_symmetry_dataset()["hall_number"] != h:
        return None
    refined = sga.get_refined_structure()
    sga2 = SpacegroupAnalyzer(refined, 0.1)
    if sga2.get_symmetry_dataset()["hall_number"] != h:
        return None
    return [op.as_xyz_string() for op in sga2.get_symmetry_operations()]


hall = {}
default_symbols = {}
for h in range(1, 531):
    t = spglib.get_spacegroup_type(h)
    db = spglib.get_symmetry_from_database(h)
    ops = [xyz(r, tr) for r, tr in zip(db["rotations"], db["translations"])]
    if t["number"] not in default_symbols and t["hall_symbol"].lstrip("-").startswith("F"):
        seen = observed_ops(h, t["number"], db)
        if seen is None:
            print(f"Hall {h}: generic structure not refined to itself; keeping database order", file=sys.stderr)
        elif sorted(seen) == sorted(ops):
            ops = seen
        else:
            print(f"Hall {h}: observed operators are not the database set; keeping database order", file=sys.stderr)
    hall[h] = {"number": t["number"], "international": t["international_short"], "hall_symbol": t["hall_symbol"],
               "choice": t["choice"], "ops": ops}
    default_symbols.setdefault(t["number"], t["international_short"])

source = (f"Debian python3-spglib {spglib.__version__} and python3-pymatgen {pymatgen.__version__ if hasattr(pymatgen, '__version__') else '2022.11.7'}"
          " via tools/gen_symmetry_tables.py")
with open(f"{out_dir}/spglib_hall.json", "w") as f:
    json.dump({"source": source, "hall": hall}, f, separators=(",", ":"))
    f.write("\n")

groups = {}
for number in range(1, 231):
    sym = default_symbols[number]
    try:
        sg = SpaceGroup(sym)
    except Exception as e:  # noqa: BLE001 - record what pymatgen refuses
        print(f"SpaceGroup({sym!r}) failed: {e}", file=sys.stderr)
        continue
    groups[sym] = {"int_number": sg.int_number, "ops": [op.as_xyz_string() for op in sg.symmetry_ops]}
with open(f"{out_dir}/space_group_ops.json", "w") as f:
    json.dump({"source": source + "; SpaceGroup(symbol).symmetry_ops in set iteration order", "space_groups": groups},
              f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(hall)} Hall entries and {len(groups)} space groups", file=sys.stderr)
