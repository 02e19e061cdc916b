"""pymatgen StructureMatcher reference for the harness's match/ parity tests and benchmark.

Run with Debian's interpreter (python3-pymatgen 2022.11.7):
  /usr/bin/python3 tools/match_reference.py [--ltol L --stol S --angle-tol A] < requests.jsonl

stdin holds one JSON object per line:
  {"op": "structure", "lattice": [[...],[...],[...]], "species": [...], "frac": [[...], ...]}
  {"op": "structure", "cif": "..."}                        (parsed by Structure.from_str)
  {"op": "group"}                                          group_structures over all structures so far
  {"op": "fit", "i": 0, "j": 1}                            fit and get_rms_dist of structures i and j
  {"op": "unique"}                                         upstream check_valid_unique_novel.py's greedy uniqueness
Answers, one JSON line per "group"/"fit" request:
  {"groups": [[0, 3], [1], ...], "seconds": 0.12}
  {"fit": true, "rms": [rms, max_dist] | null}
  {"unique": [0, 2, ...]}   (indices, bucket by bucket of composition.formula in order of first appearance)
Groups are lists of input indices, in pymatgen's order.
"""
import argparse
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
from pymatgen.analysis.structure_matcher import StructureMatcher  # noqa: E402
from pymatgen.core import Lattice, Structure  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--ltol", type=float, default=0.2)
ap.add_argument("--stol", type=float, default=0.3)
ap.add_argument("--angle-tol", type=float, default=5)
args = ap.parse_args()
sm = StructureMatcher(ltol=args.ltol, stol=args.stol, angle_tol=args.angle_tol)
structures = []
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    op = req["op"]
    if op == "structure":
        if "cif" in req:
            s = Structure.from_str(req["cif"], fmt="cif")
        else:
            s = Structure(Lattice(req["lattice"]), req["species"], req["frac"])
        s.properties_index = len(structures)
        structures.append(s)
    elif op == "group":
        for k, s in enumerate(structures):
            s.add_site_property("_idx", [k] * len(s))
        t0 = time.perf_counter()
        groups = sm.group_structures(structures)
        dt = time.perf_counter() - t0
        out = {"groups": [[g.site_properties["_idx"][0] for g in grp] for grp in groups], "seconds": dt}
        for s in structures:
            s.remove_site_property("_idx")
        print(json.dumps(out), flush=True)
    elif op == "fit":
        a, b = structures[req["i"]], structures[req["j"]]
        rms = sm.get_rms_dist(a, b)
        print(json.dumps({"fit": bool(sm.fit(a, b)), "rms": None if rms is None else [float(rms[0]), float(rms[1])]}), flush=True)
    elif op == "unique":
        # CrystaLLM bin/check_valid_unique_novel.py (8e81a86), without the validity filter
        comps = {}
        for k, s in enumerate(structures):
            f = s.composition.formula
            if f not in comps:
                comps[f] = [k]
            elif not any(sm.fit(s, structures[j]) for j in comps[f]):
                comps[f].append(k)
        print(json.dumps({"unique": [k for g in comps.values() for k in g]}), flush=True)
    else:
        raise SystemExit(f"unknown op {op}")
