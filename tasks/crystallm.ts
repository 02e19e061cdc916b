/**
 * `crystallm` — the one CLI of crystallm-harness.
 *
 * Run from a checkout as `deno task crystallm <command> [args]`. Each pipeline
 * stage contributes one subcommand from its own `command.ts`; they are added here
 * in pipeline order so that `--help` reads as the pipeline.
 *
 * Exit codes: 0 ok, 1 a failed run or audit differences, 2 a usage or config mistake.
 */
import { Command } from "commander";
import { cifCommand } from "../cif/command.ts";
// -- pipeline stages, in order (each line: import of one stage's command) --
// @crystallm-commands (keep this marker: helpers add commands below it)
import { dataCommand } from "../dataset/command.ts";
import { trainCommand } from "../train/command.ts";
import { sampleCommand, scoreCommand } from "../generate/command.ts";
import { postprocessCommand } from "../postprocess/command.ts";
import { evaluateCommand } from "../evaluate/command.ts";
import { matchCommand } from "../match/command.ts";
import { auditCommand, diffCommand, runCommand } from "../run/command.ts";
import { bundleCommand } from "../bundle/command.ts";

/** Build the `crystallm` program with every subcommand attached. */
export function buildProgram(): Command {
  const program = new Command()
    .name("crystallm")
    .description(
      "Reproducibility harness for CrystaLLM: dataset → train → generate → postprocess → evaluate → summarize → audit",
    )
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own help/version exits are fine; usage mistakes exit 2.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
        Deno.exit(0);
      }
      // program.error(msg, { exitCode }) keeps its code; commander's own parse errors are usage mistakes
      if (err.code === "commander.error") Deno.exit(err.exitCode);
      Deno.exit(err.exitCode === 0 ? 0 : 2);
    });
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
  program.addCommand(bundleCommand());
  return program;
}

if (import.meta.main) {
  await buildProgram().parseAsync(Deno.args, { from: "user" });
}
