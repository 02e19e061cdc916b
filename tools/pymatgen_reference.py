"""Independent reference for parity tests: pymatgen 2022.11.7 (Debian python3-pymatgen).

Reads JSON lines {"id": ..., "cif": ...} on stdin and writes one JSON line per
input with what pymatgen makes of it:
  ok, error, seconds, formula, reduced_formula, n_sites, volume, p1_cif (str(CifWriter(s))),
  with --parse-only just ok, n_sites and the parse time; and with --symmetry: sg_number, sg_symbol (symprec 0.1), sym_cif (CifWriter(s, symprec=0.1)).
Used only by tests and benchmarks; the harness itself never runs Python.
"""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.cif import CifWriter  # noqa: E402
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # noqa: E402

symmetry = "--symmetry" in sys.argv
parse_only = "--parse-only" in sys.argv  # timing reference: Structure.from_str alone
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    out = {"id": req["id"], "ok": False, "error": None}
    t0 = time.perf_counter()
    try:
        s = Structure.from_str(req["cif"], fmt="cif")
        if parse_only:
            out.update(ok=True, n_sites=len(s), seconds=time.perf_counter() - t0)
            print(json.dumps(out), flush=True)
            continue
        out.update(
            ok=True,
            formula=s.composition.formula,
            reduced_formula=s.composition.reduced_formula,
            n_sites=len(s),
            volume=s.volume,
            p1_cif=str(CifWriter(s)),
        )
        if symmetry:
            sga = SpacegroupAnalyzer(s, symprec=0.1)
            out.update(sg_number=sga.get_space_group_number(), sg_symbol=sga.get_space_group_symbol())
            out["sym_cif"] = str(CifWriter(s, symprec=0.1))
    except Exception as e:  # noqa: BLE001 - the reference records any failure
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out), flush=True)
