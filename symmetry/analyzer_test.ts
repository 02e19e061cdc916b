import assert from "node:assert/strict";
import { Lattice } from "../cif/lattice.ts";
import { type Site, Structure } from "../cif/structure.ts";
import { hallEntry, spaceGroupOf, speciesTypes, SymmetryError } from "./analyzer.ts";
import { analyzeCell, moyoSpaceGroupOf } from "./moyo.ts";

function site(el: string, frac: [number, number, number], occ = 1): Site {
  return { species: [[el, occ]], frac };
}

const FCC: [number, number, number][] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];

Deno.test("spaceGroupOf() prints symbols the way pymatgen's get_space_group_symbol() does", async (t) => {
  await t.step("rock salt Fm-3m", () => {
    const s = new Structure(Lattice.fromParameters(5.64, 5.64, 5.64, 90, 90, 90), [
      ...FCC.map((f) => site("Na", f)),
      ...FCC.map(([x, y, z]) => site("Cl", [x + 0.5, y, z])),
    ]);
    const sg = spaceGroupOf(s);
    assert.equal(sg.symbol, "Fm-3m");
    assert.equal(sg.number, 225);
    assert.equal(sg.operations.length, 192);
    assert.deepEqual(sg.orbits, [0, 0, 0, 0, 4, 4, 4, 4]);
    assert.deepEqual(sg.wyckoffs, ["a", "a", "a", "a", "b", "b", "b", "b"]);
  });
  await t.step("hcp Mg P6_3/mmc", () => {
    const s = new Structure(Lattice.fromParameters(3.21, 3.21, 5.21, 90, 90, 120), [
      site("Mg", [1 / 3, 2 / 3, 0.25]),
      site("Mg", [2 / 3, 1 / 3, 0.75]),
    ]);
    assert.equal(spaceGroupOf(s).symbol, "P6_3/mmc");
  });
  await t.step("cubic perovskite Pm-3m within symprec 0.1", () => {
    const s = new Structure(Lattice.fromParameters(3.9, 3.9, 3.9, 90, 90, 90), [
      site("Sr", [0.001, 0, 0]),
      site("Ti", [0.5, 0.5, 0.5]),
      site("O", [0.5, 0.5, 0]),
      site("O", [0.5, 0, 0.5]),
      site("O", [0, 0.5, 0.502]),
    ]);
    assert.equal(spaceGroupOf(s).symbol, "Pm-3m");
  });
});

Deno.test("spaceGroupOf() treats species plus occupancy as the atom type", () => {
  // two Na sites, one half occupied: no longer equivalent, so the bcc-like cell loses its centring
  const s = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [
    site("Na", [0, 0, 0]),
    site("Na", [0.5, 0.5, 0.5], 0.5),
  ]);
  assert.equal(spaceGroupOf(s).symbol, "Pm-3m");
  const full = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [
    site("Na", [0, 0, 0]),
    site("Na", [0.5, 0.5, 0.5]),
  ]);
  assert.equal(spaceGroupOf(full).symbol, "Im-3m");
});

Deno.test("speciesTypes() numbers species in order of first appearance", () => {
  const { types, uniqueSpecies } = speciesTypes([
    site("O", [0, 0, 0]),
    site("Ti", [0, 0, 0]),
    site("O", [0, 0, 0]),
    { species: [["Fe", 0.5], ["Ni", 0.5]], frac: [0, 0, 0] },
    { species: [["Ni", 0.5], ["Fe", 0.5]], frac: [0, 0, 0] },
  ]);
  assert.deepEqual(types, [1, 2, 1, 3, 3]);
  assert.equal(uniqueSpecies.length, 3);
});

Deno.test("hallEntry() carries spglib's symbols for every Hall number", () => {
  assert.equal(hallEntry(1).international, "P1");
  assert.equal(hallEntry(81).international, "P2_1/c");
  assert.equal(hallEntry(458).international, "R-3m");
  assert.equal(hallEntry(525).international, "Fd-3m");
  assert.equal(hallEntry(517).ops.length, 48);
  // python3-spglib 2.0.2 get_symmetry_from_database(81), through SymmOp.as_xyz_string()
  assert.deepEqual(hallEntry(81).ops, ["x, y, z", "-x, -y, -z", "-x, y+1/2, -z+1/2", "x, -y+1/2, z+1/2"]);
  assert.equal(hallEntry(81).hall_symbol, "-P 2ybc");
  let last = 0;
  for (let h = 1; h <= 530; h++) {
    const e = hallEntry(h);
    assert.ok(e.number >= last && e.number <= 230);
    last = e.number;
  }
  assert.throws(() => hallEntry(531), SymmetryError);
});

Deno.test("spaceGroupOf() turns bad input into SymmetryError", async (t) => {
  await t.step("NaN coordinate", () => {
    const s = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [site("Na", [NaN, 0, 0])]);
    assert.throws(() => spaceGroupOf(s), SymmetryError);
  });
  await t.step("no sites", () => {
    assert.throws(
      () => spaceGroupOf(new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [])),
      SymmetryError,
    );
  });
  await t.step("singular lattice", () => {
    const s = new Structure(new Lattice([[1, 0, 0], [2, 0, 0], [0, 0, 1]]), [site("Na", [0, 0, 0])]);
    assert.throws(() => spaceGroupOf(s), SymmetryError);
  });
  await t.step("huge cell", () => {
    const s = new Structure(Lattice.fromParameters(1e308, 1e308, 1e308, 90, 90, 90), [site("Na", [0, 0, 0])]);
    assert.throws(() => spaceGroupOf(s), SymmetryError);
  });
  await t.step("overlapping atoms", () => {
    const s = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [
      site("Na", [0, 0, 0]),
      site("Cl", [0, 0, 0.001]),
    ]);
    try {
      spaceGroupOf(s);
    } catch (e) {
      assert.ok(e instanceof SymmetryError);
    }
  });
  await t.step("invalid symprec", () => {
    assert.throws(
      () =>
        analyzeCell({ lattice: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], positions: [[0, 0, 0]], numbers: [1] }, -1),
      SymmetryError,
    );
  });
});

Deno.test("moyo and the spglib port agree on the space group of the AFLOW prototypes and perov_5", async () => {
  const { testCells } = await import("../tests/spglib.ts");
  let n = 0, same = 0;
  const diffs: string[] = [];
  for (const c of testCells(60).filter((c) => !c.id.startsWith("carbon_24"))) {
    const s = new Structure(
      new Lattice(
        c.lattice as [[number, number, number], [number, number, number], [number, number, number]],
      ),
      c.positions.map((p, i) => ({
        species: [[`X${c.numbers[i]}`, 1]] as [string, number][],
        frac: p as [number, number, number],
      })),
    );
    n++;
    // moyo has no angle tolerance: compare at spglib's default (angle tolerance off)
    const ours = spaceGroupOf(s, { symprec: 0.1, angleTolerance: -1 }).number;
    const theirs = moyoSpaceGroupOf(s, 0.1).number;
    if (ours === theirs) same++;
    else diffs.push(`${c.id}: spglib port ${ours}, moyo ${theirs}`);
  }
  console.log(`moyo vs spglib port: ${same}/${n}`, diffs.slice(0, 10));
  assert.ok(same / n >= 0.97, `${same}/${n}`);
});
