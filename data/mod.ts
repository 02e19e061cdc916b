/**
 * Datasets compatible with upstream CrystaLLM (lantunes/CrystaLLM 8e81a86): its
 * preprocessing, its 371-token tokenizer, its token files and `meta.pkl`, the seed's
 * subset recipe, and a build command from raw CIFs to a token directory.
 *
 * ```ts
 * import { encodeCif, loadTokenizer, preprocessCif } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_NaCl\n_symmetry_space_group_name_H-M   Pm-3m\n_chemical_formula_sum   'Na1 Cl1'\n" +
 *   "_cell_formula_units_Z   1\n";
 * const { ids } = encodeCif(preprocessCif(cif));
 * assert.equal(loadTokenizer().decode(ids.slice(0, 5)), "data_Na1Cl1");
 * ```
 *
 * @module
 */
// defines: loadTokenizer(), CifTokenizer, encodeCif(), filterCifLines(), assertVocabSize(), VocabSizeMismatchError
export * from "./tokenizer.ts";
// defines: preprocessCif(), roundNumbers(), semisymmetrizeCif(), extract*(), PreprocessError
export * from "./preprocess.ts";
// defines: writeTokenFile(), readTokenFile(), encodeTokenIds(), decodeTokenIds()
export * from "./token_files.ts";
// defines: writeMetaPkl(), readMetaPkl(), encodeMetaPkl(), decodeMetaPkl(), metaOf(), assertMetaMatchesTokenizer()
export * from "./meta_pkl.ts";
// defines: subsetTokenized(), cifSpans(), SubsetError
export * from "./subset.ts";
// defines: readSource(), untar(), SourceError
export * from "./sources.ts";
// defines: buildDataset(), BuildManifest
export * from "./build.ts";
// defines: cifWriterSymmetrize(), keepAsIs
export * from "./symmetrize_step.ts";
// defines: dataCommand()
export * from "./command.ts";
