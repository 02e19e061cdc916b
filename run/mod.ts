/**
 * Experiments as data: YAML loading with profiles and overrides, fingerprinted
 * stages skipped when unchanged, and the runner that ties the pipeline together.
 *
 * @module
 */
// defines: loadExperiment(), resolveExperiment(), applyOverrides(), promptText(), ExperimentSpec, ExperimentError, experimentProblems(),
// and the sections as library options: buildOptions(), subsetOptions(), trainValues(), trainParams(), samplingSettings()
export * from "./experiment.ts";
// defines: runExperiment(), inputProblems(), flattenMetrics(), repoPath(), RunError, STAGE_CODE
export * from "./runner.ts";
// defines: runStage(), codeVersion(), StageManifest, StageSpec, StageResult
export * from "./stage.ts";
// defines: stageCode(), CodeSet, CodeGraphError
export * from "./code_graph.ts";
// defines: fingerprint()
export * from "./fingerprint.ts";
// defines: nameProblem(), isInside(), assertInside(), realPathOf(), ContainmentError
export * from "./paths.ts";
// defines: acquireRunLock(), RunLock, RunLockError, isStale()
export * from "./lock.ts";
