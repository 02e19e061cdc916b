"""Run reference steps in a forked child, so that a crash (spglib segfaults on some degenerate
cells) or a very slow step (CrystalNN on a 2,000 Å cell) ends that case, not the whole run.

Used by tools/pymatgen_reference.py and tools/pymatgen_eval_reference.py with --isolate SECONDS.
"""
import json
import os
import select
import time


def isolated(steps, out, timeout):
    """Run `steps(emit)` in a child; `emit(dict)` sends partial results to the parent.

    Each emitted dict is merged into `out`. When the child dies from a signal or runs past
    `timeout` seconds, `out["error"]` (and `out["crash"]`) say so and the fields not yet emitted
    stay absent.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        wf = os.fdopen(w, "w")

        def emit(d):
            wf.write(json.dumps(d) + "\n")
            wf.flush()

        try:
            steps(emit)
        finally:
            wf.flush()
            os._exit(0)
    os.close(w)
    buf = b""
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            os.kill(pid, 9)
            break
        ready, _, _ = select.select([r], [], [], left)
        if not ready:
            continue
        chunk = os.read(r, 65536)
        if not chunk:
            break
        buf += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    for line in buf.decode().splitlines():
        if line.strip():
            out.update(json.loads(line))
    if timed_out:
        out["crash"] = f"Timeout: reference limit of {timeout:g}s"
    elif os.WIFSIGNALED(status):
        out["crash"] = f"Crash: signal {os.WTERMSIG(status)}"
    if "crash" in out and not out.get("error"):
        out["error"] = out["crash"]
    return out
