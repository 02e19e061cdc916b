/**
 * Just enough ELF64 (little-endian) to bundle a shared library: read the `GLIBC_x` symbol
 * versions a file needs (its glibc floor) and rewrite its RUNPATH in place.
 *
 * @module
 */

const DT_NULL = 0n,
  DT_STRTAB = 5n,
  DT_RPATH = 15n,
  DT_RUNPATH = 29n,
  DT_VERNEED = 0x6ffffffen,
  DT_VERNEEDNUM = 0x6fffffffn;
const PT_LOAD = 1, PT_DYNAMIC = 2;

interface Elf {
  bytes: Uint8Array;
  view: DataView;
  /** Virtual address → file offset. */
  offset(vaddr: bigint): number;
  /** Dynamic entries: tag, value, and the file offset of the value. */
  dynamic: { tag: bigint; val: bigint; at: number }[];
}

function readElf(bytes: Uint8Array, file: string): Elf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) {
    throw new Error(`Cannot read ${file}: not a 64-bit little-endian ELF file`);
  }
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  const loads: { vaddr: bigint; off: bigint; filesz: bigint }[] = [];
  let dyn: { off: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = view.getUint32(p, true);
    const off = view.getBigUint64(p + 8, true);
    const vaddr = view.getBigUint64(p + 16, true);
    const filesz = view.getBigUint64(p + 32, true);
    if (type === PT_LOAD) loads.push({ vaddr, off, filesz });
    if (type === PT_DYNAMIC) dyn = { off: Number(off), size: Number(filesz) };
  }
  const offset = (vaddr: bigint) => {
    for (const l of loads) {
      if (vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz) return Number(vaddr - l.vaddr + l.off);
    }
    throw new Error(`Cannot read ${file}: address 0x${vaddr.toString(16)} is in no loaded segment`);
  };
  const dynamic: Elf["dynamic"] = [];
  if (dyn) {
    for (let p = dyn.off; p + 16 <= dyn.off + dyn.size; p += 16) {
      const tag = view.getBigInt64(p, true);
      if (tag === DT_NULL) break;
      dynamic.push({ tag, val: view.getBigUint64(p + 8, true), at: p + 8 });
    }
  }
  return { bytes, view, offset, dynamic };
}

function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

/** Compare dotted versions ("2.17" < "2.34"). */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number), y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The highest `GLIBC_x` version a file needs (its .gnu.version_r), or undefined when it
 * needs none (a static file).
 *
 * @param path An ELF executable or shared library.
 * @throws {Error} When the file is not ELF64.
 */
export function glibcFloor(path: string): string | undefined {
  const elf = readElf(Deno.readFileSync(path), path);
  const get = (t: bigint) => elf.dynamic.find((d) => d.tag === t)?.val;
  const strtab = get(DT_STRTAB), verneed = get(DT_VERNEED), num = get(DT_VERNEEDNUM);
  if (strtab === undefined || verneed === undefined || num === undefined) return undefined;
  const str = elf.offset(strtab);
  let best: string | undefined;
  let p = elf.offset(verneed);
  for (let i = 0; i < Number(num); i++) {
    const cnt = elf.view.getUint16(p + 2, true);
    const aux = elf.view.getUint32(p + 8, true);
    const next = elf.view.getUint32(p + 12, true);
    let a = p + aux;
    for (let j = 0; j < cnt; j++) {
      const name = cString(elf.bytes, str + elf.view.getUint32(a + 8, true));
      const m = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(name);
      if (m && (!best || compareVersions(m[1], best) > 0)) best = m[1];
      const an = elf.view.getUint32(a + 12, true);
      if (!an) break;
      a += an;
    }
    if (!next) break;
    p += next;
  }
  return best;
}

/**
 * The RUNPATH (or old-style RPATH) of a file, or undefined.
 *
 * @param path An ELF file.
 */
export function runpath(path: string): string | undefined {
  const elf = readElf(Deno.readFileSync(path), path);
  const strtab = elf.dynamic.find((d) => d.tag === DT_STRTAB)?.val;
  const rp = elf.dynamic.find((d) => d.tag === DT_RUNPATH) ?? elf.dynamic.find((d) => d.tag === DT_RPATH);
  if (strtab === undefined || !rp) return undefined;
  return cString(elf.bytes, elf.offset(strtab) + Number(rp.val));
}

/**
 * Rewrite the RUNPATH of a file in place (the string table keeps its size: the new value must
 * not be longer than the old one; the rest is zero-filled).
 *
 * @param path An ELF shared library, rewritten.
 * @param value New RUNPATH, e.g. `$ORIGIN`.
 * @throws {Error} When the file has no RUNPATH/RPATH or the new value does not fit.
 */
export function setRunpath(path: string, value: string): void {
  const elf = readElf(Deno.readFileSync(path), path);
  const strtab = elf.dynamic.find((d) => d.tag === DT_STRTAB)?.val;
  const rp = elf.dynamic.find((d) => d.tag === DT_RUNPATH) ?? elf.dynamic.find((d) => d.tag === DT_RPATH);
  if (strtab === undefined || !rp) throw new Error(`Cannot set the RUNPATH of ${path}: it has none`);
  const at = elf.offset(strtab) + Number(rp.val);
  const old = cString(elf.bytes, at);
  const enc = new TextEncoder().encode(value);
  if (enc.length > old.length) {
    throw new Error(`Cannot set the RUNPATH of ${path} to ${value}: longer than the old one (${old})`);
  }
  elf.bytes.fill(0, at, at + old.length);
  elf.bytes.set(enc, at);
  // make it a RUNPATH (searched after LD_LIBRARY_PATH), not an RPATH
  if (rp.tag === DT_RPATH) elf.view.setBigInt64(rp.at - 8, DT_RUNPATH, true);
  Deno.writeFileSync(path, elf.bytes);
}
