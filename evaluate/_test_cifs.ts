/**
 * Small CIFs for evaluate/ unit tests, in the layout CrystaLLM generates (after postprocess).
 *
 * @module
 */

/** Rock salt as CrystaLLM writes it (Fm-3m, full operator list added by postprocess). */
export const NACL_RAW = `data_Na4Cl4
loop_
_atom_type_symbol
_atom_type_electronegativity
_atom_type_radius
_atom_type_ionic_radius
Na 0.9300 1.8000 1.1600
Cl 3.1600 1.0000 1.6700
_symmetry_space_group_name_H-M Fm-3m
_cell_length_a 5.6402
_cell_length_b 5.6402
_cell_length_c 5.6402
_cell_angle_alpha 90.0000
_cell_angle_beta 90.0000
_cell_angle_gamma 90.0000
_symmetry_Int_Tables_number 225
_chemical_formula_structural NaCl
_chemical_formula_sum 'Na4 Cl4'
_cell_volume 179.4252
_cell_formula_units_Z 4
loop_
_symmetry_equiv_pos_site_id
_symmetry_equiv_pos_as_xyz
1 'x, y, z'
loop_
_atom_site_type_symbol
_atom_site_label
_atom_site_symmetry_multiplicity
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Na Na0 4 0.0000 0.0000 0.0000 1
Cl Cl1 4 0.5000 0.5000 0.5000 1

`;
