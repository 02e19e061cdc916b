/**
 * Experiments as data: YAML loading with profiles and overrides, fingerprinted
 * stages skipped when unchanged, and the runner that ties the pipeline together.
 *
 * @module
 */
// defines: loadExperiment(), resolveExperiment(), applyOverrides(), promptText(), ExperimentSpec, ExperimentError, experimentProblems()
export * from "./experiment.ts";
// defines: runExperiment(), inputProblems(), flattenMetrics(), repoPath(), RunError
export * from "./runner.ts";
// defines: runStage(), codeVersion(), StageManifest
export * from "./stage.ts";
// defines: fingerprint()
export * from "./fingerprint.ts";
// defines: nameProblem(), isInside(), assertInside(), realPathOf(), ContainmentError
export * from "./paths.ts";
// defines: acquireRunLock(), RunLock, RunLockError, isStale()
export * from "./lock.ts";
