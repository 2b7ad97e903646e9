// Type-aware TypeScript rules: floating effects, misused promises and unsafe
// `any` flows are the bugs this codebase can have.
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["node_modules/", "coverage/", ".data/", "bench-results/", "dist/", ".scratch/", ".doc-snippets-*/", "eslint.config.js"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/require-yield": "off",
      "require-yield": "off",
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": ["error", { allow: ["error"] }]
    }
  },
  // The one JavaScript file (src/CompileCache.js: Node preloads it before any TypeScript) is outside the type-checked project.
  { files: ["**/*.js"], extends: [tseslint.configs.disableTypeChecked] },
  // Scripts report on stdout (the benchmarks and soak to people, the test web server to its test).
  { files: ["test/support/web-server.ts", "scripts/bench*.ts", "scripts/soak.ts"], rules: { "no-console": "off" } }
)
