/** moyo's compiled WebAssembly module (`@spglib/moyo-wasm/moyo_wasm_bg.wasm`). */
export declare const moyoModule: WebAssembly.Module;
