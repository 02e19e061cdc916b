/**
 * Scale-out: an experiment cut into shards (`shards.jsonl`), run here with J workers or as
 * Slurm job arrays, merged into exactly the result of a single-machine `crystallm run`.
 *
 * @module
 */
// defines: planShards(), readTable(), writeTable(), experimentFingerprint(), Shard, SweepInfo, SweepError
export * from "./table.ts";
// defines: runShard(), shardProblem(), shardDir(), DoneMarker
export * from "./shard.ts";
// defines: createSweep(), mergeSweep(), unfinishedShards()
export * from "./sweep.ts";
// defines: runShardsLocally(), launcher(), visibleGpus()
export * from "./local.ts";
// defines: submitSweep(), sweepStatus(), arrayGroups(), shardScript(), mergeScript(), maxArraySize()
export * from "./slurm.ts";
// defines: takeShardLock(), shardLockStale()
export * from "./lock.ts";
