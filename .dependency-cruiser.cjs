/**
 * The layer direction of src/ (docs/architecture.md): core <- protocol <- adapters <- node (composition root).
 * `npm run lint:deps` (part of `npm test`) fails on any import against it and on any cycle between folders.
 */
const ADAPTERS = "^src/(chain|ipfs|inference|source|http|rag|net|settlement|explorer|audit|capability|config|round|state|obs)/";
module.exports = {
  forbidden: [
    {
      name: "not-to-unresolvable",
      comment: "An import that names a file that is not there (a move left it behind).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, path: "^\\.{1,2}/" },
    },
    {
      name: "no-folder-cycle",
      comment: "Folders import each other in one direction only.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-module-cycle",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-imports-only-core",
      comment: "src/core is the bottom layer: libraries and itself only.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "protocol-imports-core-and-consensus",
      comment: "src/protocol (with src/consensus) is what every node and auditor computes identically: pure.",
      severity: "error",
      from: { path: "^src/(protocol|consensus)/" },
      to: { path: "^src/", pathNot: "^src/(core|protocol|consensus)/" },
    },
    {
      name: "state-is-storage",
      comment: "src/state (the node's database) is storage under the adapters that keep state in it: it imports only core.",
      severity: "error",
      from: { path: "^src/state/" },
      to: { path: "^src/", pathNot: "^src/(core|state)/" },
    },
    {
      name: "adapters-not-node",
      comment: "Adapters never reach up into the composition root (src/node) or the CLI.",
      severity: "error",
      from: { path: ADAPTERS },
      to: { path: "^src/(node|cli)/" },
    },
    {
      name: "through-the-index",
      comment: "Outside a layer folder, core, protocol and http are used through their index.ts (their public interface).",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/(core|protocol|http)/(?!index\\.ts$)", pathNot: "^src/$1/" },
    },
    {
      name: "through-the-index-from-tests",
      severity: "error",
      from: { path: "^(test|scripts)/" },
      to: { path: "^src/(core|protocol|http)/(?!index\\.ts$)" },
    },
    {
      name: "scripts-not-from-tests",
      comment: "Tests and benches share code through test/kit; test/kit and test/helpers never import scripts/.",
      severity: "error",
      from: { path: "^test/(kit|helpers)/" },
      to: { path: "^scripts/" },
    },
    {
      name: "src-not-from-tests-or-scripts",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|scripts)/" },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(artifacts|cache|node_modules|subgraph)/" },
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
