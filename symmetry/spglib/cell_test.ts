import assert from "node:assert/strict";
import type { Cell, Mat3, Vec3 } from "./types.ts";
import {
  celAllocCell,
  celAnyOverlap,
  celAnyOverlapWithSameType,
  celCopyCell,
  celIsOverlap,
  celIsOverlapWithSameType,
  celSetCell,
  celTrimCell,
} from "./cell.ts";

const A = 5.64;
const FCC: Vec3[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
/** Conventional rock salt: Na (type 11) on FCC, Cl (type 17) shifted by a/2 along x. */
function rockSalt(jitter: Vec3[] = []): Cell {
  const cell = celAllocCell(8)!;
  const pos = [...FCC, ...FCC.map(([x, y, z]) => [x + 0.5, y, z])].map((p, i) =>
    p.map((x, k) => x + (jitter[i]?.[k] ?? 0)) as Vec3
  );
  celSetCell(cell, [[A, 0, 0], [0, A, 0], [0, 0, A]], pos, [11, 11, 11, 11, 17, 17, 17, 17]);
  return cell;
}

Deno.test("cel_alloc_cell / cel_set_cell: positions reduced with mat_Nint into [-0.5, 0.5]", () => {
  assert.equal(celAllocCell(0), null);
  const cell = celAllocCell(2)!;
  assert.deepEqual(cell.types, [0, 0]);
  const lattice: Mat3 = [[1, 0, 0], [0, 2, 0], [0, 0, 3]];
  celSetCell(cell, lattice, [[1.25, -0.75, 0.5], [0.25, 0.4, -0.5]], [3, 4]);
  assert.deepEqual(cell.position, [[0.25, 0.25, -0.5], [0.25, 0.4, 0.5]]);
  assert.deepEqual(cell.types, [3, 4]);
  lattice[0][0] = 9;
  assert.equal(cell.lattice[0][0], 1, "lattice is copied");
  const copy = celCopyCell(cell)!;
  // copying reduces again, so ±0.5 flip (as in spglib's cel_copy_cell)
  assert.deepEqual(copy.position, [[0.25, 0.25, 0.5], [0.25, 0.4, -0.5]]);
  assert.deepEqual(copy.types, cell.types);
  assert.deepEqual(copy.lattice, cell.lattice);
  assert.notEqual(copy.position, cell.position);
});

Deno.test("cel_is_overlap on rock salt: Cartesian nearest-image distance against symprec", () => {
  const cell = rockSalt();
  const L = cell.lattice;
  // through the periodic boundary: (0,0,0) vs (0.99,0,0) are 0.0564 Å apart
  assert.equal(celIsOverlap([0, 0, 0], [0.99, 0, 0], L, 0.1), true);
  assert.equal(celIsOverlap([0, 0, 0], [0.99, 0, 0], L, 0.05), false);
  assert.equal(celIsOverlap([0.01, 0.01, 0.01], [-0.01, 1.01, 2.99], L, 0.2), true); // 0.0564·√3 = 0.0977
  assert.equal(celIsOverlap([0.01, 0.01, 0.01], [-0.01, 1.01, 2.99], L, 0.097), false);
  assert.equal(celIsOverlapWithSameType([0, 0, 0], [0.99, 0, 0], 11, 17, L, 0.1), false);
  assert.equal(celIsOverlapWithSameType([0, 0, 0], [0.99, 0, 0], 17, 17, L, 0.1), true);
  // Na–Cl 2.82 Å, Na–Na 3.988 Å
  assert.equal(celAnyOverlap(cell, 0.1), false);
  assert.equal(celAnyOverlap(cell, 2.81), false);
  assert.equal(celAnyOverlap(cell, 2.83), true);
  assert.equal(celAnyOverlapWithSameType(cell, 2.83), false);
  assert.equal(celAnyOverlapWithSameType(cell, 3.98), false);
  assert.equal(celAnyOverlapWithSameType(cell, 3.99), true);
});

Deno.test("cel_trim_cell: conventional rock salt onto its primitive FCC lattice", () => {
  const h = A / 2;
  const prim: Mat3 = [[0, h, h], [h, 0, h], [h, h, 0]]; // columns (0,h,h), (h,0,h), (h,h,0)
  const r = celTrimCell(prim, rockSalt(), 0.1)!;
  assert.ok(r);
  assert.equal(r.cell.size, 2);
  assert.deepEqual(r.cell.types, [11, 17]);
  assert.deepEqual(r.mappingTable, [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(r.cell.lattice, prim);
  // Cl at Cartesian (h,0,0) = -½a1 + ½a2 + ½a3 → (0.5, 0.5, 0.5) after mat_Dmod1
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(r.cell.position[0][k]) < 1e-12);
    assert.ok(Math.abs(r.cell.position[1][k] - 0.5) < 1e-12);
  }

  // jittered atoms: trimmed positions are the averages of the overlapping atoms
  const jitter: Vec3[] = [
    [0.004, 0, 0],
    [-0.002, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
    [0, 0.003, 0],
    [0, 0.001, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const j = celTrimCell(prim, rockSalt(jitter), 0.1)!;
  assert.ok(j);
  // Na: Cartesian shift (0.002/4·a, 0, 0)/… in the primitive basis, x_cart = 0.0005a → (h·(-1,1,1)·0.0005a/h)
  const dx = (0.004 - 0.002) / 4; // mean fractional shift along the conventional a axis
  // conventional (dx,0,0) = dx·(-a1 + a2 + a3) in the primitive basis
  const na = [-dx, dx, dx].map((x) => x < 0 ? x + 1 : x);
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(j.cell.position[0][k] - na[k]) < 1e-12, `${j.cell.position[0]}`);
  }
  const dy = (0.003 + 0.001) / 4; // conventional (0,dy,0) = dy·(a1 - a2 + a3)
  const cl = [0.5 + dy, 0.5 - dy, 0.5 + dy];
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(j.cell.position[1][k] - cl[k]) < 1e-12, `${j.cell.position[1]}`);
  }

  // a lattice whose volume ratio does not divide the atom count fails
  assert.equal(celTrimCell([[A / 3, 0, 0], [0, A, 0], [0, 0, A]], rockSalt(), 0.1), null);
});

Deno.test("cel_trim_cell: a 2x1x1 supercell trims back to the original cell", () => {
  // orthorhombic cell with 3 atoms, doubled along a
  const lat: Mat3 = [[4, 0, 0], [0, 5, 0], [0, 0, 6]];
  const pos: Vec3[] = [[0.1, 0.2, 0.3], [0.6, 0.7, 0.1], [0.9, 0.5, 0.5]];
  const types = [1, 1, 2];
  const sup = celAllocCell(6)!;
  const supLat: Mat3 = [[8, 0, 0], [0, 5, 0], [0, 0, 6]];
  const supPos: Vec3[] = [
    ...pos.map(([x, y, z]): Vec3 => [x / 2, y, z]),
    ...pos.map(([x, y, z]): Vec3 => [(x + 1) / 2, y, z]),
  ];
  celSetCell(sup, supLat, supPos, [...types, ...types]);
  const r = celTrimCell(lat, sup, 0.01)!;
  assert.ok(r);
  assert.deepEqual(r.mappingTable, [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(r.cell.types, types);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(r.cell.position[i][k] - pos[i][k]) < 1e-12);
  }
});
