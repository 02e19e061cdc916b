/**
 * Hand-checked crystallography for the refinement pieces that do not depend on the space-group
 * search: lattice idealization per holohedry, the rigid rotation to the standard orientation, and
 * the site-symmetry table. (Parity with python spglib end to end: ./spglib_test.ts.)
 */
import assert from "node:assert/strict";
import type { Mat3 } from "./types.ts";
import { refGetConventionalLattice, refMeasureRigidRotation } from "./refinement.ts";
import type { Spacegroup } from "./spacegroup.ts";
import {
  ssmdbGetCoordinate,
  ssmdbGetSiteSymmetrySymbol,
  ssmdbGetWyckoffIndices,
} from "./sitesym_database.ts";
import { matMultiplyMatrixD3, matTransposeMatrixD3 } from "./mathfunc.ts";

function sg(pointgroupNumber: number, choice: string, bravaisLattice: Mat3): Spacegroup {
  return {
    number: 0,
    hallNumber: 0,
    pointgroupNumber,
    schoenflies: "",
    hallSymbol: "",
    international: "",
    internationalLong: "",
    internationalShort: "",
    choice,
    bravaisLattice,
    originShift: [0, 0, 0],
  };
}

function near(a: Mat3, b: Mat3, tol = 1e-12) {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(a[i][j] - b[i][j]) < tol, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
}

// A rotation by 30° about z, applied to column lattices.
const c30 = Math.cos(Math.PI / 6);
const s30 = Math.sin(Math.PI / 6);
const Q: Mat3 = [[c30, -s30, 0], [s30, c30, 0], [0, 0, 1]];

Deno.test("refGetConventionalLattice idealizes cubic, tetragonal, hexagonal and monoclinic metrics", () => {
  // m-3m: a = b = c = mean length, axes along x, y, z whatever the input orientation.
  const cubic = matMultiplyMatrixD3(Q, [[4.0, 0, 0], [0, 4.1, 0], [0, 0, 4.2]]);
  near(refGetConventionalLattice(sg(32, "", cubic)), [[4.1, 0, 0], [0, 4.1, 0], [0, 0, 4.1]]);
  // 4/mmm: a = b = (a + b) / 2.
  const tetra = matMultiplyMatrixD3(Q, [[3.9, 0, 0], [0, 4.1, 0], [0, 0, 6]]);
  near(refGetConventionalLattice(sg(15, "", tetra)), [[4, 0, 0], [0, 4, 0], [0, 0, 6]]);
  // 6/mmm: a = b, γ = 120°, a along x (columns are the basis vectors).
  const hexa: Mat3 = [[3, -1.5, 0], [0, 1.5 * Math.sqrt(3), 0], [0, 0, 5]];
  near(refGetConventionalLattice(sg(27, "", matMultiplyMatrixD3(Q, hexa))), hexa);
  // 2/m, unique axis b: a along x, b along y, c in the xz plane at angle β from a.
  const beta = (100 * Math.PI) / 180;
  const mono: Mat3 = [[5, 0, 7 * Math.cos(beta)], [0, 6, 0], [0, 0, 7 * Math.sin(beta)]];
  near(refGetConventionalLattice(sg(5, "b", matMultiplyMatrixD3(Q, mono))), mono, 1e-12);
});

Deno.test("refMeasureRigidRotation recovers the rotation between two orientations of a lattice", () => {
  const lat: Mat3 = [[5, 1, 0.5], [0, 6, 0.3], [0, 0, 7]];
  const rotated = matMultiplyMatrixD3(Q, lat);
  near(refMeasureRigidRotation(rotated, lat), matTransposeMatrixD3(Q));
});

Deno.test("site-symmetry table: Fm-3m (Hall 523) has Wyckoff positions a…l, a and b with site symmetry m-3m", () => {
  const [start, count] = ssmdbGetWyckoffIndices(523);
  assert.equal(count, 12);
  // Stored in reverse alphabetical order: the general position 192l first, 4a last.
  assert.equal(ssmdbGetCoordinate(start).multiplicity, 192);
  assert.equal(ssmdbGetSiteSymmetrySymbol(start), "1");
  for (const i of [count - 1, count - 2]) {
    assert.equal(ssmdbGetCoordinate(start + i).multiplicity, 4);
    assert.equal(ssmdbGetSiteSymmetrySymbol(start + i), "m-3m");
  }
  // 4a is the origin: x, y, z → 0, 0, 0.
  const a = ssmdbGetCoordinate(start + count - 1);
  assert.deepEqual(a.rot, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(a.trans, [0, 0, 0]);
});
