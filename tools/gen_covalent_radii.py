"""Write evaluate/data/covalent_radii.json: pymatgen's CovalentRadius.radius table.

CrystalNN (pymatgen.analysis.local_env._get_default_radius) uses these radii for its distance
cutoffs when sites carry no oxidation states, which is always the case for CrystaLLM's checks.
Run with Debian's python3-pymatgen 2022.11.7:  /usr/bin/python3 tools/gen_covalent_radii.py
"""
import json
import pathlib

import pymatgen
from pymatgen.analysis.molecule_structure_comparator import CovalentRadius

out = pathlib.Path(__file__).resolve().parent.parent / "evaluate" / "data" / "covalent_radii.json"
version = getattr(pymatgen, "__version__", None) or __import__("importlib.metadata").metadata.version("pymatgen")
out.write_text(json.dumps({
    "source": f"pymatgen {version} (Debian python3-pymatgen), "
              "pymatgen.analysis.molecule_structure_comparator.CovalentRadius.radius",
    "radius": CovalentRadius.radius,
}, indent=1) + "\n")
print(f"wrote {out} ({len(CovalentRadius.radius)} elements)")
