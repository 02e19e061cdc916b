/**
 * Shared types of the TypeScript reimplementation of spglib 2.0.2's symmetry finder and
 * standardization (the algorithm of spglib by Atsushi Togo, BSD-3-Clause; see ./README.md).
 *
 * Layout follows spglib so that its algorithm reads across: a matrix is row-major `m[i][j]`,
 * and a lattice holds the basis vectors a, b, c as its COLUMNS (`lattice[k][0]` is a_k), the
 * opposite of `cif/lattice.ts`, whose rows are the vectors.
 *
 * @module
 */

import type { Mat3, Vec3 } from "../../cif/lattice.ts";
/**
 * `Vec3` and `Mat3` are `cif/lattice.ts`'s tuple types, one type for the whole project. Only the
 * convention differs: a lattice `Mat3` in this port holds the basis vectors as COLUMNS (spglib's
 * C layout), where `cif/lattice.ts`'s `Lattice.matrix` holds them as rows; transpose between them
 * (`matTransposeMatrixD3`).
 */
export type { Mat3, Vec3 };
/** 3×3 integer matrix, row-major. */
export type IMat3 = number[][];

/** spglib `Cell` (aperiodic_axis is always -1 here: bulk crystals only). */
export interface Cell {
  /** Number of atoms. */
  size: number;
  /** Basis vectors as columns. */
  lattice: Mat3;
  /** Integer atom types, one per atom. */
  types: number[];
  /** Fractional positions, one per atom. */
  position: Vec3[];
}

/** spglib `Symmetry`: space-group operations x' = rot·x + trans. */
export interface Symmetry {
  size: number;
  rot: IMat3[];
  trans: Vec3[];
}

/** spglib `PointSymmetry`: rotations only. */
export interface PointSymmetry {
  size: number;
  rot: IMat3[];
}

/** spglib `VecDBL`. */
export interface VecDBL {
  size: number;
  vec: Vec3[];
}
