/* @ts-self-types="./_moyo_wasm.d.ts" */
// moyo's compiled WebAssembly module, loaded through a source-phase import so that moyo.ts can
// instantiate it synchronously (`initSync`). Kept in JavaScript because TypeScript's checker does
// not parse `import source` yet; the types come from _moyo_wasm.d.ts.
import source moyoModule from "@spglib/moyo-wasm/moyo_wasm_bg.wasm";

export { moyoModule };
