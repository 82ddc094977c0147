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
    },
  },
);
