"""Independent reference for evaluate/'s upstream summary: runs upstream CrystaLLM's own
`eval_cif` (bin/evaluate_cifs.py at commit 8e81a86, imported from a checkout, not restated)
on one CIF at a time, so each CIF's chain (which counters it bumped, its bond score, its row)
can be compared with ours, then prints the summary lines bin/evaluate_cifs.py prints.

  NPY_DISABLE_CPU_FEATURES="AVX512F ..." /usr/bin/python3 tools/evaluate_cifs_reference.py \
      <crystallm checkout> <folder or .tar.gz of raw CIFs> > chains.jsonl

Needs Debian's python3-pymatgen, python3-torch, python3-pandas, python3-omegaconf,
python3-zmq and python3-tqdm (upstream's package imports them). One JSON line per CIF,
sorted by name: {"file", "multiplicity_consistent", "space_group_consistent",
"bond_length_score", "row", "is_valid", "gen_len"}; the summary goes to stderr. Used to make
evaluate/testdata/demo5_upstream_chains.jsonl; the harness never runs Python.
"""
import importlib.util
import json
import os
import queue
import sys
import tarfile

import numpy as np

checkout, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, checkout)
spec = importlib.util.spec_from_file_location("evaluate_cifs", os.path.join(checkout, "bin", "evaluate_cifs.py"))
evaluate_cifs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate_cifs)


def read_cifs(p):
    if os.path.isdir(p):
        names = sorted(n for n in os.listdir(p) if n.endswith(".cif"))
        return [(n, open(os.path.join(p, n)).read()) for n in names]
    with tarfile.open(p, "r:gz") as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".cif")),
                         key=lambda m: os.path.basename(m.name))
        return [(os.path.basename(m.name), tar.extractfile(m).read().decode("utf-8")) for m in members]


n_mult = n_sg = 0
scores, rows = [], []
cifs = read_cifs(path)
for name, cif in cifs:
    tasks, progress, results = queue.Queue(), queue.Queue(), queue.Queue()
    tasks.put(cif)
    # upstream's defaults: length 0.5-1000, angles 10-170, no debug
    evaluate_cifs.eval_cif(progress, tasks, results, 0.5, 1000., 10., 170., False)
    mult, sg, score, row = results.get()
    n_mult, n_sg = n_mult + mult, n_sg + sg
    scores += score
    rows += row
    print(json.dumps({
        "file": name,
        "multiplicity_consistent": bool(mult),
        "space_group_consistent": bool(sg),
        "bond_length_score": score[0] if score else None,
        "row": bool(row),
        "is_valid": bool(row and row[0][2]),
        "gen_len": row[0][3] if row else None,
    }))

n = len(cifs)
lens = [r[3] for r in rows if r[2]]
print(f"space group consistent: {n_sg}/{n} ({n_sg / n:.3f})\n"
      f"atom site multiplicity consistent: {n_mult}/{n} ({n_mult / n:.3f})\n"
      f"avg. bond length reasonableness score: {np.mean(scores):.4f} ± {np.std(scores):.4f}\n"
      f"bond lengths reasonable: {scores.count(1.)}/{n} ({scores.count(1.) / n:.3f})\n"
      f"num valid: {len(lens)}/{n} ({len(lens) / n:.2f})\n"
      f"avg. valid generated length: "
      f"{(f'{np.mean(lens):.3f} ± {np.std(lens):.3f}') if lens else 'n/a'}", file=sys.stderr)
