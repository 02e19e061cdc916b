#!/usr/bin/python3
"""Generate symmetry/data/space_group_ops.json.

Run with Debian's interpreter (python3-pymatgen 2022.11.7, python3-spglib 2.0.2):

    /usr/bin/python3 tools/gen_symmetry_tables.py && deno fmt symmetry/data

space_group_ops.json, per spglib international symbol of the default (smallest) Hall number of each
space-group type: `SpaceGroup(symbol).symmetry_ops` as `SymmOp.as_xyz_string()` in Python set
iteration order, i.e. what upstream CrystaLLM's `replace_symmetry_operators` writes.

(spglib's Hall-number table, which this script also wrote until 2026-11, now comes from the
spglib port's own tables: `symmetry/spglib/data/`, made by tools/gen_spg_database.py.)
"""
import json
import sys

import pymatgen
import spglib
from pymatgen.symmetry.groups import SpaceGroup

out_dir = sys.argv[1] if len(sys.argv) > 1 else "symmetry/data"

default_symbols = {}
for h in range(1, 531):
    t = spglib.get_spacegroup_type(h)
    default_symbols.setdefault(t["number"], t["international_short"])

source = (f"Debian python3-spglib {spglib.__version__} and python3-pymatgen {pymatgen.__version__ if hasattr(pymatgen, '__version__') else '2022.11.7'}"
          " via tools/gen_symmetry_tables.py")

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
print(f"wrote {len(groups)} space groups", file=sys.stderr)
