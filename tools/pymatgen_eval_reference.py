"""Independent reference for evaluate/ tests and benchmarks: upstream CrystaLLM's checks
(crystallm/_utils.py at commit 8e81a86, restated here) on Debian's pymatgen 2022.11.7.

Reads JSON lines {"id": ..., "cif": ...} on stdin and writes one JSON line per input:
  {"id", "seconds", "is_sensible", "is_formula_consistent", "is_atom_site_multiplicity_consistent",
   "is_space_group_consistent", "bond_length_reasonableness_score", "is_valid"}
where each check is {"value": ...} or {"error": "Type: message"}; with --bond-only just the
bond score (and seconds). With --isolate SECONDS each check runs in a forked child, and a crash
or timeout is its error ("Crash: signal 11", "Timeout: ..."). Used only by tests and benchmarks;
the harness never runs Python.
"""
import json
import re
import sys
import time
import warnings

warnings.simplefilter("ignore")
from pymatgen.analysis.local_env import CrystalNN  # noqa: E402
from pymatgen.core import Composition, Structure  # noqa: E402
from pymatgen.io.cif import CifParser  # noqa: E402
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # noqa: E402
from _isolate import isolated  # noqa: E402


def extract_data_formula(cif_str):
    match = re.search(r"data_([A-Za-z0-9]+)\n", cif_str)
    if match:
        return match.group(1)
    raise Exception(f"could not find data_ in:\n{cif_str}")


def bond_length_reasonableness_score(cif_str, tolerance=0.32, h_factor=2.5):
    structure = Structure.from_str(cif_str, fmt="cif")
    crystal_nn = CrystalNN()
    min_ratio, max_ratio = 1 - tolerance, 1 + tolerance
    score = 0
    bond_count = 0
    for i, site in enumerate(structure):
        for info in crystal_nn.get_nn_info(structure, i):
            j = info["site_index"]
            if i == j:
                continue
            other = info["site"]
            bond_length = site.distance(other)
            is_hydrogen_bond = "H" in [site.specie.symbol, other.specie.symbol]
            if abs(site.specie.X - other.specie.X) >= 1.7:
                if site.specie.X < other.specie.X:
                    expected = site.specie.average_cationic_radius + other.specie.average_anionic_radius
                else:
                    expected = site.specie.average_anionic_radius + other.specie.average_cationic_radius
            else:
                expected = site.specie.atomic_radius + other.specie.atomic_radius
            ratio = bond_length / expected
            if is_hydrogen_bond:
                if ratio < h_factor:
                    score += 1
            elif min_ratio < ratio < max_ratio:
                score += 1
            bond_count += 1
    return score / bond_count


def is_space_group_consistent(cif_str):
    structure = Structure.from_str(cif_str, fmt="cif")
    cif_data = CifParser.from_string(cif_str).as_dict()
    stated = cif_data[list(cif_data.keys())[0]]["_symmetry_space_group_name_H-M"]
    detected = SpacegroupAnalyzer(structure, symprec=0.1).get_space_group_symbol()
    return stated.strip() == detected.strip()


def is_formula_consistent(cif_str):
    cif_data = CifParser.from_string(cif_str).as_dict()
    block = cif_data[list(cif_data.keys())[0]]
    formula_data = Composition(extract_data_formula(cif_str))
    formula_sum = Composition(block["_chemical_formula_sum"])
    formula_structural = Composition(block["_chemical_formula_structural"])
    return formula_data.reduced_formula == formula_sum.reduced_formula == formula_structural.reduced_formula


def is_atom_site_multiplicity_consistent(cif_str):
    cif_data = CifParser.from_string(cif_str).as_dict()
    expected = Composition(cif_data[list(cif_data.keys())[0]]["_chemical_formula_sum"]).as_dict()
    actual = {}
    for key in cif_data:
        if "_atom_site_type_symbol" in cif_data[key] and "_atom_site_symmetry_multiplicity" in cif_data[key]:
            for atom_type, mult in zip(cif_data[key]["_atom_site_type_symbol"], cif_data[key]["_atom_site_symmetry_multiplicity"]):
                actual[atom_type] = actual.get(atom_type, 0) + int(mult)
    return expected == actual


def is_sensible(cif_str, length_lo=0.5, length_hi=1000.0, angle_lo=10.0, angle_hi=170.0):
    for s in re.findall(r"_cell_length_[abc]\s+([\d\.]+)", cif_str):
        if float(s) < length_lo or float(s) > length_hi:
            return False
    for _, s in re.findall(r"_cell_angle_(alpha|beta|gamma)\s+([\d\.]+)", cif_str):
        if float(s) < angle_lo or float(s) > angle_hi:
            return False
    return True


def is_valid(cif_str, bond_length_acceptability_cutoff=1.0):
    if not is_formula_consistent(cif_str):
        return False
    if not is_atom_site_multiplicity_consistent(cif_str):
        return False
    if bond_length_reasonableness_score(cif_str) < bond_length_acceptability_cutoff:
        return False
    return is_space_group_consistent(cif_str)


CHECKS = {
    "is_sensible": is_sensible,
    "is_formula_consistent": is_formula_consistent,
    "is_atom_site_multiplicity_consistent": is_atom_site_multiplicity_consistent,
    "is_space_group_consistent": is_space_group_consistent,
    "bond_length_reasonableness_score": bond_length_reasonableness_score,
    "is_valid": is_valid,
}
if "--bond-only" in sys.argv:
    CHECKS = {"bond_length_reasonableness_score": bond_length_reasonableness_score}

# --isolate SECONDS: each check in a forked child (a crash or timeout ends that check only)
isolate = float(sys.argv[sys.argv.index("--isolate") + 1]) if "--isolate" in sys.argv else None


def check(fn, cif):
    """One check as {"value": ...} or {"error": "Type: message"}."""
    try:
        return {"value": fn(cif)}
    except Exception as e:  # noqa: BLE001 - the reference records any failure
        return {"error": f"{type(e).__name__}: {e}"}


for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    out = {"id": req["id"]}
    t0 = time.perf_counter()
    for name, fn in CHECKS.items():
        if isolate:
            res = isolated(lambda emit: emit({"r": check(fn, req["cif"])}), {}, isolate)
            out[name] = res.get("r", {"error": res.get("crash")})
        else:
            out[name] = check(fn, req["cif"])
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out), flush=True)
