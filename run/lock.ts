/**
 * A lock on a run directory: `run.lock` holds the pid, host and start time of the
 * process that runs the experiment, so that two runs into the same `--out` never mix
 * their outputs. A lock left by a process that no longer exists on this host (killed
 * with SIGKILL, a crash) is stale and is cleared.
 *
 * @module
 */
import { join } from "node:path";
import { hostname } from "node:os";

/** Thrown when another live process holds the lock. */
export class RunLockError extends Error {
  override name = "RunLockError";
}

/** What `run.lock` records. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
  /** The holder's start time in clock ticks after boot (`/proc/<pid>/stat` field 22), to tell a reused pid. */
  proc_start: string | null;
}

/** The start time of a process from `/proc`, or null where there is no `/proc`. */
export function procStart(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // fields after the command name, which is in parentheses and may hold spaces
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether the holder of a lock is gone: on this host, its pid no longer exists or now
 * belongs to a process that started later. A lock from another host is never stale.
 *
 * @param info The lock's content.
 * @returns True when the lock can be cleared.
 */
export function isStale(info: LockInfo): boolean {
  if (info.host !== hostname()) return false;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return false; // no /proc: cannot tell, so never clear it
  }
  const now = procStart(info.pid);
  if (now === null) return true;
  return info.proc_start !== null && now !== info.proc_start;
}

/** A held lock; release it with `using` or {@linkcode RunLock.release}. */
export class RunLock {
  #path: string;
  #released = false;
  /** @param path The lock file. */
  constructor(path: string) {
    this.#path = path;
  }
  /** Remove the lock file (once). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      Deno.removeSync(this.#path);
    } catch { /* already gone */ }
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

function describe(info: LockInfo): string {
  return `pid ${info.pid} on host ${info.host} since ${info.started}`;
}

/**
 * Take the lock of a run directory (`<dir>/run.lock`), clearing a stale one.
 *
 * @param dir The run directory (created when missing).
 * @param options `log` receives a line when a stale lock is cleared.
 * @returns The held lock.
 * @throws {RunLockError} When a live process holds it; the message names pid, host and start time.
 * @example Take and release
 * ```ts
 * import { acquireRunLock } from "./lock.ts";
 * const dir = Deno.makeTempDirSync();
 * using lock = acquireRunLock(dir);
 * ```
 */
export function acquireRunLock(dir: string, options: { log?: (l: string) => void } = {}): RunLock {
  Deno.mkdirSync(dir, { recursive: true });
  const path = join(dir, "run.lock");
  const info: LockInfo = {
    pid: Deno.pid,
    host: hostname(),
    started: new Date().toISOString(),
    proc_start: procStart(Deno.pid),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true });
      f.writeSync(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      f.close();
      return new RunLock(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let held: LockInfo | null = null;
    try {
      held = JSON.parse(Deno.readTextFileSync(path));
    } catch {
      // unreadable: a holder killed while writing it, or one that is writing it right now
      let age = Infinity;
      try {
        age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
      } catch {
        continue; // cleared meanwhile: try again
      }
      if (age < 5000) throw new RunLockError(`Cannot run in ${dir}: another run is taking its lock (${path})`);
    }
    if (held && typeof held.pid === "number" && !isStale(held)) {
      throw new RunLockError(
        `Cannot run in ${dir}: another run holds its lock (${describe(held)}); wait for it to finish, ` +
          `or use another --out (delete ${path} only if that process is gone)`,
      );
    }
    options.log?.(`clearing a stale lock ${path}${held ? ` (${describe(held)}, no longer running)` : " (unreadable)"}`);
    try {
      Deno.removeSync(path);
    } catch { /* another process cleared it first */ }
  }
  throw new RunLockError(`Cannot run in ${dir}: could not take ${path}; another run keeps taking it`);
}
