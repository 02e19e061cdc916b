/**
 * A shard's lock (`shards/<index>.lock`): the pid, host and Slurm job of the process running
 * it. A second process waits for it and then finds the shard done. A lock whose holder is gone
 * (a dead pid on this host, or a Slurm job that `squeue` no longer lists) is cleared.
 *
 * @module
 */
import { hostname } from "node:os";
import { isStale, type LockInfo, procStart } from "../run/lock.ts";

/** What a shard lock records. */
export interface ShardLockInfo extends LockInfo {
  /** `SLURM_JOB_ID` of the holder, when it runs under Slurm. */
  slurm_job: string | null;
}

/** Whether a Slurm job is gone: `squeue` answers and does not list it. False when it cannot tell. */
export function slurmJobGone(job: string): boolean {
  try {
    const r = new Deno.Command("squeue", {
      args: ["-h", "-j", job, "-o", "%i"],
      stdout: "piped",
      stderr: "piped",
    })
      .outputSync();
    const err = new TextDecoder().decode(r.stderr);
    if (!r.success) return /Invalid job id/i.test(err);
    return new TextDecoder().decode(r.stdout).trim() === "";
  } catch {
    return false;
  }
}

/** Whether the holder of a shard lock is gone. */
export function shardLockStale(info: ShardLockInfo): boolean {
  if (info.host === hostname()) return isStale(info);
  return info.slurm_job !== null && slurmJobGone(info.slurm_job);
}

/** The holder of a lock file, or null when it is absent or unreadable. */
export function readShardLock(path: string): ShardLockInfo | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
}

/**
 * Take a lock file, waiting while a live process holds it.
 *
 * @param path The lock file.
 * @param options `log` for one line when waiting or clearing; `timeoutS` to give up (default: wait).
 * @returns A function that releases the lock.
 */
export async function takeShardLock(
  path: string,
  options: { log?: (l: string) => void; timeoutS?: number } = {},
): Promise<() => void> {
  const info: ShardLockInfo = {
    pid: Deno.pid,
    host: hostname(),
    started: new Date().toISOString(),
    proc_start: procStart(Deno.pid),
    slurm_job: Deno.env.get("SLURM_JOB_ID") ?? null,
  };
  const t0 = Date.now();
  let waiting = false;
  for (;;) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true });
      f.writeSync(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      f.close();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          Deno.removeSync(path);
        } catch { /* gone */ }
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const held = readShardLock(path);
    let age = 0;
    try {
      age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
    } catch {
      continue; // released meanwhile
    }
    if ((held && shardLockStale(held)) || (!held && age > 10_000)) {
      options.log?.(`clearing the stale lock ${path}${held ? ` (pid ${held.pid} on ${held.host})` : ""}`);
      try {
        Deno.removeSync(path);
      } catch { /* another process cleared it */ }
      continue;
    }
    if (!waiting) {
      options.log?.(
        `waiting for ${path}${held ? ` (pid ${held.pid} on ${held.host} since ${held.started})` : ""}`,
      );
      waiting = true;
    }
    if (options.timeoutS !== undefined && Date.now() - t0 > options.timeoutS * 1000) {
      throw new Deno.errors.AlreadyExists(`${path} is still held after ${options.timeoutS} s`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
