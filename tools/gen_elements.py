"""Regenerate cif/data/elements.json from Debian's python3-pymatgen (2022.11.7).

Run with Debian's interpreter: /usr/bin/python3 tools/gen_elements.py
The numbers are facts taken from pymatgen's periodic_table.json through its
Element API, so the harness reproduces pymatgen's derived values exactly
(e.g. average_ionic_radius is a mean over pymatgen's ionic_radii table).
"""
import json, math, warnings
import pymatgen
from pymatgen.core.periodic_table import Element

warnings.simplefilter("ignore")


def safe(el, name):
    try:
        return getattr(el, name)
    except Exception:
        return None


def num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


out = []
for el in Element:
    out.append({
        "symbol": el.symbol,
        "Z": el.Z,
        "X": num(safe(el, "X")),
        "atomic_mass": num(safe(el, "atomic_mass")),
        "atomic_radius": num(safe(el, "atomic_radius")),
        "atomic_radius_calculated": num(safe(el, "atomic_radius_calculated")),
        "average_ionic_radius": num(safe(el, "average_ionic_radius")),
        "average_cationic_radius": num(safe(el, "average_cationic_radius")),
        "average_anionic_radius": num(safe(el, "average_anionic_radius")),
        "ionic_radii": {str(k): v for k, v in el.ionic_radii.items()},
        "common_oxidation_states": list(el.common_oxidation_states),
        "oxidation_states": list(el.oxidation_states),
        "row": el.row,
        "group": el.group,
        "is_metal": bool(el.is_metal),
        "van_der_waals_radius": num(safe(el, "van_der_waals_radius")),
    })
json.dump({
    "source": f"pymatgen {pymatgen.core.__version__} (Debian python3-pymatgen), pymatgen/core/periodic_table.json via pymatgen.core.periodic_table.Element",
    "note": "null = pymatgen returns None/NaN for this property",
    "elements": out,
}, open("cif/data/elements.json", "w"), indent=0)
print(len(out), "elements")
