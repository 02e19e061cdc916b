import assert from "node:assert/strict";
import { Lattice } from "../cif/lattice.ts";
import { Structure } from "../cif/structure.ts";
import { voronoiFaces } from "./_voronoi.ts";

const site = (el: string, f: [number, number, number]) => ({
  species: [[el, 1]] as [string, number][],
  frac: f,
});

Deno.test("voronoiFaces() gives a simple cubic site its cube: 6 faces, 4π sr, the cell volume", () => {
  const s = new Structure(Lattice.fromParameters(3, 3, 3, 90, 90, 90), [site("Po", [0, 0, 0])]);
  const faces = voronoiFaces(s, 0);
  assert.equal(faces.length, 6);
  for (const f of faces) {
    assert.ok(Math.abs(f.solidAngle - 4 * Math.PI / 6) < 1e-9);
    assert.ok(Math.abs(f.area - 9) < 1e-9);
  }
});

Deno.test("voronoiFaces() cells of a triclinic two-site cell fill space", () => {
  const s = new Structure(Lattice.fromParameters(3.1, 4.2, 5.3, 80, 95, 105), [
    site("Na", [0.1, 0.2, 0.3]),
    site("Cl", [0.6, 0.55, 0.8]),
  ]);
  let vol = 0;
  for (let i = 0; i < 2; i++) {
    const faces = voronoiFaces(s, i);
    const sa = faces.reduce((t, f) => t + f.solidAngle, 0);
    assert.ok(Math.abs(sa - 4 * Math.PI) < 1e-8, `solid angles sum to ${sa}`);
    vol += faces.reduce((t, f) => t + f.area * (f.dist / 2) / 3, 0);
  }
  assert.ok(Math.abs(vol - s.volume) < 1e-8, `${vol} vs ${s.volume}`);
});

Deno.test("voronoiFaces() gives up on an absurdly large neighbour sphere instead of hanging", () => {
  const s = new Structure(Lattice.fromParameters(0.01, 0.01, 0.01, 90, 90, 90), [site("Po", [0, 0, 0])]);
  assert.throws(() => voronoiFaces(s, 0), /RuntimeError/);
});
