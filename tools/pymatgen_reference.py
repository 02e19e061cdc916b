"""Independent reference for parity tests: pymatgen 2022.11.7 (Debian python3-pymatgen).

Reads JSON lines {"id": ..., "cif": ...} on stdin and writes one JSON line per
input with what pymatgen makes of it:
  ok, error, seconds, formula, reduced_formula, n_sites, volume, p1_cif (str(CifWriter(s))),
  with --parse-only just ok, n_sites and the parse time; and with --symmetry: sg_number, sg_symbol (symprec 0.1), sym_cif (CifWriter(s, symprec=0.1)).
With --isolate SECONDS each CIF runs in a forked child; a crash or timeout is recorded in
"crash" (and "error" when nothing else failed), with the fields computed before it.
Used only by tests and benchmarks; the harness itself never runs Python.
"""
import json
import math
import sys
import time
import warnings

warnings.simplefilter("ignore")
from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.cif import CifWriter  # noqa: E402
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # noqa: E402
from _isolate import isolated  # noqa: E402

symmetry = "--symmetry" in sys.argv
parse_only = "--parse-only" in sys.argv  # timing reference: Structure.from_str alone
# --isolate SECONDS: each CIF in a forked child (a crash or timeout ends that CIF only)
isolate = float(sys.argv[sys.argv.index("--isolate") + 1]) if "--isolate" in sys.argv else None


def steps(cif, emit):
    """What pymatgen makes of one CIF, emitted as it is computed."""
    try:
        s = Structure.from_str(cif, fmt="cif")
        if parse_only:
            emit(dict(ok=True, n_sites=len(s)))
            return
        emit(
            dict(
                ok=True,
                formula=s.composition.formula,
                reduced_formula=s.composition.reduced_formula,
                n_sites=len(s),
                volume=s.volume if math.isfinite(s.volume) else str(s.volume),  # JSON has no NaN
            )
        )
        emit(dict(p1_cif=str(CifWriter(s))))
        if symmetry:
            sga = SpacegroupAnalyzer(s, symprec=0.1)
            emit(dict(sg_number=sga.get_space_group_number(), sg_symbol=sga.get_space_group_symbol()))
            emit(dict(sym_cif=str(CifWriter(s, symprec=0.1))))
    except Exception as e:  # noqa: BLE001 - the reference records any failure
        emit(dict(error=f"{type(e).__name__}: {e}"))


for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    out = {"id": req["id"], "ok": False, "error": None}
    t0 = time.perf_counter()
    if isolate:
        isolated(lambda emit: steps(req["cif"], emit), out, isolate)
    else:
        steps(req["cif"], out.update)
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out), flush=True)
