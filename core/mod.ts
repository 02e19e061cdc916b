/**
 * Helpers below every stage: content hashes, where the repository and the shared data are,
 * and seeded random numbers. Nothing here imports another folder of the harness.
 *
 * @module
 */
// defines: sha256(), hashFile(), hashPath(), listFiles(), canonicalJson()
export * from "./hash.ts";
// defines: REPO_ROOT, sharedDir(), sharedPath(), hasShared(), SharedDataMissingError
export * from "./paths.ts";
// defines: mulberry32(), shuffled()
export * from "./random.ts";
