/**
 * A real single-node Slurm for tests: Debian's `slurm-wlm` and `munge`, a private
 * `slurm.conf` (proctrack/linuxproc, task/none, select/cons_tres, this machine's CPUs and
 * memory from `slurmd -C`, ports of its own), `munged`, `slurmctld` and `slurmd` started as
 * root. Clients find it through `SLURM_CONF`.
 *
 * @module
 */
import { join } from "node:path";

/** A started cluster; `stop()` ends the daemons this helper started, by their pids. */
export interface TestSlurm {
  conf: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

function has(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null", stderr: "null" })
      .outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Why a Slurm cannot be started here, or null when it can. */
export function slurmUnavailable(): string | null {
  if (Deno.build.os !== "linux") return "Slurm runs on Linux only";
  if (Deno.uid() !== 0) return "starting slurmctld, slurmd and munged needs root";
  for (const c of ["slurmctld", "slurmd", "munged", "sbatch", "squeue", "scontrol", "scancel"]) {
    if (!has(c)) return `${c} not found: apt-get install slurm-wlm munge (tasks/setup.sh --test)`;
  }
  try {
    Deno.statSync("/etc/munge/munge.key");
  } catch {
    return "/etc/munge/munge.key is missing (the munge package creates it)";
  }
  return null;
}

function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function pidOf(file: string): number | null {
  try {
    return Number(Deno.readTextFileSync(file).trim()) || null;
  } catch {
    return null;
  }
}

/**
 * Start the daemons and wait until the node is idle.
 *
 * @param options `maxArraySize` for `slurm.conf` (small, to split arrays for real).
 * @returns The cluster.
 */
export async function startSlurm(options: { maxArraySize?: number } = {}): Promise<TestSlurm> {
  const dir = await Deno.makeTempDir({ prefix: "crystallm_slurm_" });
  const host = sh("hostname", ["-s"]).out.trim();
  const node = sh("slurmd", ["-C"]).out.split("\n")[0].trim();
  if (!node.startsWith("NodeName=")) throw new Error(`slurmd -C did not describe this node: ${node}`);
  // ports of its own, so that a Slurm already on the machine is left alone
  const port = 20000 + (Deno.pid % 20000);
  const conf = join(dir, "slurm.conf");
  await Deno.mkdir(join(dir, "state"));
  await Deno.mkdir(join(dir, "spool"));
  await Deno.writeTextFile(
    conf,
    [
      "ClusterName=crystallmtest",
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      "AuthType=auth/munge",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "SchedulerType=sched/backfill",
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "ReturnToService=2",
      `MaxArraySize=${options.maxArraySize ?? 1001}`,
      "MpiDefault=none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "KillWait=2",
      `${node} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const env = { SLURM_CONF: conf };
  // munged: one is enough for every Slurm on the machine; start it only when none answers
  let mungePid: number | null = null;
  if (!sh("munge", ["-n"]).ok) {
    await Deno.mkdir("/run/munge", { recursive: true });
    sh("chown", ["munge:munge", "/run/munge"]);
    const r = sh("runuser", ["-u", "munge", "--", "munged"]);
    if (!r.ok) throw new Error(`munged did not start: ${r.err}`);
    mungePid = pidOf("/run/munge/munged.pid");
  }
  for (const d of ["slurmctld", "slurmd"]) {
    const r = sh(d, ["-f", conf], env);
    if (!r.ok) throw new Error(`${d} did not start: ${r.err}`);
  }
  const stop = async () => {
    for (const f of ["slurmd.pid", "slurmctld.pid"]) {
      const pid = pidOf(join(dir, f));
      if (pid) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch { /* gone */ }
      }
    }
    if (mungePid) {
      try {
        Deno.kill(mungePid, "SIGTERM");
      } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 500));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const t0 = Date.now();
  while (!/idle/.test(sh("sinfo", ["-h", "-o", "%t"], env).out)) {
    if (Date.now() - t0 > 30_000) {
      const log = await Deno.readTextFile(join(dir, "slurmctld.log")).catch(() => "");
      await stop();
      throw new Error(`the Slurm node did not become idle in 30 s: ${log.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { conf, env, stop };
}

/** `squeue` lines (`%i %T %r`) of the test cluster. */
export function squeue(env: Record<string, string>): string[] {
  return sh("squeue", ["-h", "-o", "%i %T %r"], env).out.split("\n").filter(Boolean);
}
