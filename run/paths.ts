/**
 * Containment of a run: names that become path components are plain identifiers, and
 * every path a run writes, deletes or reads through `run:` resolves inside its `--out`
 * root, after symbolic links are followed.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";

/** Thrown when a name or path would leave the output root. */
export class ContainmentError extends Error {
  override name = "ContainmentError";
}

/** A plain identifier: ASCII letters, digits, `_` and `-`, starting with a letter or digit. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Why a name cannot be a path component, or null when it can.
 *
 * @param name The name (a model name, an experiment name).
 * @returns A reason, or null.
 * @example
 * ```ts
 * import { nameProblem } from "./paths.ts";
 * import assert from "node:assert/strict";
 * assert.equal(nameProblem("nacl_ft"), null);
 * assert.match(nameProblem("../x")!, /plain identifier/);
 * ```
 */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== "string") return `${JSON.stringify(name)} is not a string`;
  if (PLAIN_NAME.test(name)) return null;
  return `${JSON.stringify(name)} is not a plain identifier (ASCII letters, digits, _ and -, at most 64, ` +
    `starting with a letter or digit)`;
}

/**
 * The real path of `path`, or of its deepest existing ancestor joined with the rest,
 * so that a symbolic link anywhere above the path is followed.
 *
 * @param path An absolute or relative path.
 * @returns An absolute path with every existing link resolved.
 */
export function realPathOf(path: string): string {
  const abs = resolve(path);
  let head = abs;
  const tail: string[] = [];
  while (true) {
    try {
      return resolve(Deno.realPathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail.push(head.slice(up.length).replace(/^\/+/, ""));
      head = up;
    }
  }
}

/**
 * Whether `path` lies inside `root` (or is `root`), lexically and after links are followed.
 *
 * @param root The output root.
 * @param path The path to check.
 * @returns True when inside.
 * @example
 * ```ts
 * import { isInside } from "./paths.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isInside("/tmp/out", "/tmp/out/nacl10/train"));
 * assert.ok(!isInside("/tmp/out", "/tmp/out/../x"));
 * ```
 */
export function isInside(root: string, path: string): boolean {
  const within = (r: string, p: string) => {
    const rel = relative(r, p);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  };
  return within(resolve(root), resolve(path)) && within(realPathOf(root), realPathOf(path));
}

/**
 * Throw unless `path` resolves inside `root`.
 *
 * @param root The output root.
 * @param path The path a run is about to write, delete or read.
 * @param what What the path is, for the message.
 * @returns The path.
 * @throws {ContainmentError} Naming the path, where it resolves and the root.
 */
export function assertInside(root: string, path: string, what: string): string {
  if (!isInside(root, path)) {
    const real = realPathOf(path);
    throw new ContainmentError(
      `Refusing ${what} ${path}${real !== resolve(path) ? ` (resolves to ${real})` : ""}: it is outside the ` +
        `output root ${resolve(root)}; paths a run writes, deletes or reads via run: stay inside --out`,
    );
  }
  return path;
}
