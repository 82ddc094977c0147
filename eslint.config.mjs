// typescript-eslint, strict and type-aware (issue 15): `strictTypeChecked` over src/, scripts/, test/ and deploy/.
// Prettier owns layout (npm run format). The few options below are the project's decisions, each with its reason.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["artifacts/**", "cache/**", "coverage/**", "node_modules/**", "subgraph/**", "src/chain/abi/generated.ts", "src/explorer/page/**", "**/*.mjs", "**/*.cjs"],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // error messages carry their values: numbers (bigints too) and booleans print as themselves
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => void work()` and `(x) => set.add(x)` are the idiom for callbacks whose result is unused
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  {
    // Tests and benches read JSON bodies and event args they just produced, and index arrays they just filled.
    files: ["test/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Test doubles and fakes implement the async ports (Mind, SettlementPort, artifact stores) with bodies that
      // answer at once; `async` keeps them faithful to the port (a throw becomes a rejection, as in the real adapter).
      "@typescript-eslint/require-await": "off",
      // Tests catch the errors of the code under test to assert on their code and message (`.catch((e: ChorusError) => e)`).
      "@typescript-eslint/use-unknown-in-catch-callback-variable": "off",
      // Fakes and bench nodes reject with an abort signal's reason, whatever it is, as fetch and the real adapters do.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
    },
  },
  {
    // chai's property assertions (`expect(x).to.be.true`, `.to.be.empty`) are expressions by design.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
);
