/**
 * Test helper: a Debian 11 minbase root (glibc 2.31, no libtorch, no compiler), made once with
 * debootstrap as root and kept under out/cache/ for the bundle tests.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

function sh(cmd: string, args: string[]): { code: number; out: string } {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
    return { code: o.code, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
  } catch (e) {
    return { code: 127, out: String(e) };
  }
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/** Why `unshare <args>` cannot run here, or undefined when it can. */
export function cannot(args: string[]): string | undefined {
  const r = sh("unshare", args);
  return r.code === 0
    ? undefined
    : `\`unshare ${args.join(" ")}\` is not permitted here (${r.out.trim() || `exit ${r.code}`})`;
}

/**
 * A Debian 11 minbase root, made once with debootstrap and kept under out/cache/ (about
 * 215 MB); or why there is none.
 */
export function debianRoot(): string | { skip: string } {
  const root = join(REPO_ROOT, "out/cache/debian-bullseye-minbase");
  if (isFile(join(root, "etc/debian_version")) && isFile(join(root, ".complete"))) return root;
  if (Deno.uid() !== 0) return { skip: "debootstrap needs root" };
  if (sh("debootstrap", ["--version"]).code !== 0) {
    return { skip: "debootstrap is not installed (apt-get install debootstrap)" };
  }
  const why = cannot(["-m", "true"]);
  if (why) return { skip: why };
  const partial = `${root}.partial-${Deno.pid}`;
  Deno.mkdirSync(partial, { recursive: true });
  const r = sh("debootstrap", ["--variant=minbase", "bullseye", partial, "http://deb.debian.org/debian"]);
  if (r.code !== 0) {
    Deno.removeSync(partial, { recursive: true });
    return { skip: `debootstrap bullseye failed: ${r.out.trim().split("\n").slice(-2).join(" ")}` };
  }
  Deno.writeTextFileSync(join(partial, ".complete"), "");
  try {
    Deno.renameSync(partial, root);
  } catch {
    Deno.removeSync(partial, { recursive: true }); // another test process made it meanwhile
  }
  return root;
}
