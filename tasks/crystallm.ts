/**
 * `crystallm` — the one CLI of crystallm-harness.
 *
 * Run from a checkout as `deno task crystallm <command> [args]`. Each pipeline
 * stage contributes one subcommand from its own `command.ts`; they are added here
 * in pipeline order so that `--help` reads as the pipeline.
 *
 * Exit codes: 0 ok; 1 a run that failed (audit differences, a held lock, a full disk, an
 * unwritable output, a library error); 2 a mistake in what was given (an option, a config,
 * experiment or snapshot file, an input file). Expected failures print one line;
 * `--debug` (anywhere on the command line) adds the stack trace.
 */
import { Command } from "commander";
import { cifCommand } from "../cif/command.ts";
// -- pipeline stages, in order (each line: import of one stage's command) --
// @crystallm-commands (keep this marker: helpers add commands below it)
import { dataCommand } from "../data/command.ts";
import { trainCommand } from "../train/command.ts";
import { sampleCommand, scoreCommand } from "../sample/command.ts";
import { postprocessCommand } from "../postprocess/command.ts";
import { evaluateCommand } from "../evaluate/command.ts";
import { matchCommand } from "../match/command.ts";
import { auditCommand, diffCommand, runCommand } from "../run/command.ts";
import { bundleCommand } from "../bundle/command.ts";
import { exportCommand } from "../export/command.ts";
import { shardCommand, sweepCommand } from "../sweep/command.ts";

/** Commander's exits: help and version 0; `cmd.error(msg, { exitCode })` keeps its code; parse errors are usage mistakes (2). */
function exitWith(err: { code: string; exitCode: number }): never {
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
    Deno.exit(0);
  }
  if (err.code === "commander.error") Deno.exit(err.exitCode);
  Deno.exit(err.exitCode === 0 ? 0 : 2);
}

/** Build the `crystallm` program with every subcommand attached. */
export function buildProgram(): Command {
  const program = new Command()
    .name("crystallm")
    .description(
      "Reproducibility harness for CrystaLLM: data → train → sample → postprocess → evaluate → summarize → audit",
    )
    .version("0.1.0")
    .addHelpText("after", `
Exit codes: 0 ok; 1 a failed run (audit differences, a held lock, a full disk, an unwritable
output, a library error); 2 a mistake in what was given (an option, a config, experiment or
snapshot file, an input file). Add --debug anywhere for the stack trace of a failure.`)
    .showHelpAfterError();
  program.addCommand(cifCommand());
  program.addCommand(dataCommand());
  program.addCommand(trainCommand());
  program.addCommand(sampleCommand());
  program.addCommand(scoreCommand());
  program.addCommand(postprocessCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(matchCommand());
  program.addCommand(runCommand());
  program.addCommand(auditCommand());
  program.addCommand(diffCommand());
  program.addCommand(sweepCommand());
  program.addCommand(shardCommand());
  program.addCommand(exportCommand());
  program.addCommand(bundleCommand());
  // commands added with addCommand() do not inherit exitOverride: set it on every one
  const override = (cmd: Command) => {
    cmd.exitOverride(exitWith);
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Error classes that mean "what was given is wrong" (exit 2); every other failure exits 1. */
const USAGE_ERRORS = new Set([
  "ExperimentError",
  "TrainConfigError",
  "CheckpointError",
  "PromptError",
  "VocabSizeMismatchError",
  "SnapshotError",
  "ContainmentError",
  "MetaError",
  "TokenFileError",
  "SourceError",
  "CifSyntaxError",
  "DeviceError",
]);

/**
 * The one line and exit code for a failure that reached the top of the program.
 *
 * @param e What was thrown.
 * @returns The message to print and the exit code (1 or 2).
 */
export function describeFailure(e: unknown): { message: string; exitCode: 1 | 2 } {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: string }).code ?? "";
  const text = err.message;
  if (USAGE_ERRORS.has(err.name)) return { message: `error: ${text}`, exitCode: 2 };
  if (code === "ENOSPC" || /No space left on device/i.test(text)) {
    return { message: `error: ${text}: the disk is full; free space or write to another --out`, exitCode: 1 };
  }
  if (code === "EROFS" || /read-only file system/i.test(text)) {
    return { message: `error: ${text}: the file system is read-only; choose a writable --out`, exitCode: 1 };
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return { message: `error: ${text}: permission denied; choose a path you can write (--out)`, exitCode: 1 };
  }
  if (err instanceof Deno.errors.NotFound) return { message: `error: ${text}`, exitCode: 2 };
  if (err.name === "FfiError" && /cuda/i.test(text)) {
    return { message: `error: ${text}: this build of the library has no CUDA; use --device cpu or build ffi/ against a CUDA libtorch`, exitCode: 1 };
  }
  return {
    message: `error: ${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${text} (add --debug for the stack trace)`,
    exitCode: 1,
  };
}

if (import.meta.main) {
  const debug = Deno.args.includes("--debug") || Deno.env.get("CRYSTALLM_DEBUG") === "1";
  try {
    await buildProgram().parseAsync(Deno.args.filter((a) => a !== "--debug"), { from: "user" });
  } catch (e) {
    const { message, exitCode } = describeFailure(e);
    console.error(message);
    if (debug) console.error((e as Error)?.stack ?? String(e));
    Deno.exit(exitCode);
  }
}
