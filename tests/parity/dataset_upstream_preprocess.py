"""Reference for tests/parity/dataset_preprocess_pymatgen_test.ts (tests only).

The preprocessing functions below are upstream CrystaLLM's (`crystallm/_utils.py` and the
step order of `bin/preprocess.py`, lantunes/CrystaLLM 8e81a86, MIT license), retyped with the
same regular expressions, formats and fallbacks. They run on Debian's python3-pymatgen
2022.11.7. Reads a JSON list of [name, cif] pairs on stdin and writes a JSON list of
{file, sym, pre} to stdout: sym is str(CifWriter(Structure.from_str(cif), symprec=0.1)) and
pre is upstream's preprocessing of sym, or null when upstream drops the CIF.
"""
import sys, json, math, re, warnings
warnings.filterwarnings("ignore")
from pymatgen.core import Structure, Composition
from pymatgen.io.cif import CifWriter, CifBlock

def get_atomic_props_block(composition, oxi=False):
    noble_vdw_radii = {"He": 1.40, "Ne": 1.54, "Ar": 1.88, "Kr": 2.02, "Xe": 2.16, "Rn": 2.20}
    allen_electronegativity = {"He": 4.16, "Ne": 4.79, "Ar": 3.24}
    def _format(val): return f"{float(val): .4f}"
    def _format_X(elem):
        if math.isnan(elem.X) and str(elem) in allen_electronegativity: return allen_electronegativity[str(elem)]
        return _format(elem.X)
    def _format_radius(elem):
        if elem.atomic_radius is None and str(elem) in noble_vdw_radii: return noble_vdw_radii[str(elem)]
        return _format(elem.atomic_radius)
    props = {str(el): (_format_X(el), _format_radius(el), _format(el.average_ionic_radius)) for el in sorted(composition.elements)}
    data = {}
    data["_atom_type_symbol"] = list(props)
    data["_atom_type_electronegativity"] = [v[0] for v in props.values()]
    data["_atom_type_radius"] = [v[1] for v in props.values()]
    data["_atom_type_ionic_radius"] = [v[2] for v in props.values()]
    loop_vals = ["_atom_type_symbol", "_atom_type_electronegativity", "_atom_type_radius", "_atom_type_ionic_radius"]
    return str(CifBlock(data, [loop_vals], "")).replace("data_\n", "")

def extract_numeric_property(cif_str, prop, numeric_type=float):
    match = re.search(rf"{prop}\s+([.0-9]+)", cif_str)
    if match: return numeric_type(match.group(1))
    raise Exception()
def extract_formula_nonreduced(cif_str):
    match = re.search(r"_chemical_formula_sum\s+('([^']+)'|(\S+))", cif_str)
    if match: return match.group(2) if match.group(2) else match.group(3)
    raise Exception()
def semisymmetrize_cif(cif_str):
    return re.sub(r"(_symmetry_equiv_pos_as_xyz\n)(.*?)(?=\n(?:\S| \S))", r"\1  1  'x, y, z'", cif_str, flags=re.DOTALL)
def replace_data_formula_with_nonreduced_formula(cif_str):
    match = re.search(r"_chemical_formula_sum\s+(.+)\n", cif_str)
    chemical_formula = match.group(1).replace("'", "").replace(" ", "")
    return re.sub(r"(data_)(.*?)(\n)", r'\1' + chemical_formula + r'\3', cif_str)
def add_atomic_props_block(cif_str, oxi=False):
    comp = Composition(extract_formula_nonreduced(cif_str))
    block = get_atomic_props_block(composition=comp, oxi=oxi)
    m = re.search(r"_symmetry_space_group_name_H-M", cif_str)
    return cif_str[:m.start()] + block + "\n" + cif_str[m.start():]
def round_numbers(cif_str, decimal_places=4):
    pattern = r"[-+]?\d*\.\d+([eE][-+]?\d+)?"
    def round_number(match):
        number_str = match.group()
        number = float(number_str)
        if len(number_str.split('.')[-1]) <= decimal_places: return number_str
        rounded = round(number, decimal_places)
        return format(rounded, '.{}f'.format(decimal_places))
    return re.sub(pattern, round_number, cif_str)
def preprocess(cif):
    if extract_numeric_property(cif, "_cell_formula_units_Z", int) == 0: raise Exception("z0")
    cif = replace_data_formula_with_nonreduced_formula(cif)
    cif = semisymmetrize_cif(cif)
    cif = add_atomic_props_block(cif)
    return round_numbers(cif)


items = json.load(sys.stdin)
from pymatgen.core import Lattice
for els in [["He", "Ar"], ["Ne", "Xe"], ["Kr", "F"], ["Eu", "O"], ["Pm", "Cl"], ["Tc", "Pu"], ["Ac", "Pa"], ["H", "Np"]]:
    s = Structure(Lattice.cubic(4.1234567), els, [[0, 0, 0], [0.5, 0.5, 0.5]])
    items.append(["synthetic_" + "".join(els), str(CifWriter(s))])
out = []
for name, txt in items:
    sym = str(CifWriter(Structure.from_str(txt, "cif"), symprec=0.1))
    try:
        pre = preprocess(sym)
    except Exception:
        pre = None
    out.append({"file": name, "sym": sym, "pre": pre})
json.dump(out, sys.stdout)
