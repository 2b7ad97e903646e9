/**
 * The generated OpenAPI document passes Spectral (its OpenAPI rules and the
 * OWASP API Security Top 10 ruleset, as `.spectral.yaml` configures them) and
 * Redocly's recommended rules (`redocly.yaml`) without an error. Every rule
 * those files turn off or narrow says why there. Warnings do not fail (a
 * failure message counts every finding, warnings included).
 *
 * A copy of the document with one unbounded input string and one unbounded
 * input array is linted in the same run: it must fail, so a ruleset that
 * stopped checking anything would not pass unnoticed.
 */
import { assert, describe, it } from "@effect/vitest"
import { OpenApi } from "effect/http-api"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Api } from "../src/Api.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const bin = (name: string) => join(root, "node_modules", ".bin", name)

/** Runs a linter's CLI with this Node; resolves with its stdout whatever the exit code (it is 1 when there are findings). */
const run = (cli: string, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [bin(cli), ...args], { cwd: root, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && stdout.trim() === "") reject(new Error(`${cli} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  )

interface Finding {
  readonly rule: string
  readonly severity: "error" | "warning"
  readonly where: string
  readonly message: string
}

const summary = (findings: ReadonlyArray<Finding>) => {
  const counts = new Map<string, number>()
  for (const { rule, severity } of findings) counts.set(`${severity} ${rule}`, (counts.get(`${severity} ${rule}`) ?? 0) + 1)
  return [...counts].map(([key, count]) => `${count} × ${key}`).join("\n")
}

const errorsIn = (findings: ReadonlyArray<Finding>) =>
  findings.filter((finding) => finding.severity === "error").map(({ message, rule, where }) => `${rule} at ${where}: ${message}`)

describe("OpenAPI lint", () => {
  const directory = mkdtempSync(join(tmpdir(), "zoo-openapi-"))
  const document = join(directory, "openapi.json")
  const broken = join(directory, "broken.json")
  const spec = OpenApi.fromApi(Api) as any
  writeFileSync(document, JSON.stringify(spec, null, 2))
  const copy = structuredClone(spec)
  for (const parameter of copy.paths["/v2/animals"].get.parameters) {
    if (parameter.name === "cursor") delete parameter.schema.maxLength
    if (parameter.name === "species") delete parameter.schema.maxItems
  }
  writeFileSync(broken, JSON.stringify(copy, null, 2))

  const spectral = run("spectral", ["lint", document, broken, "--ruleset", join(root, ".spectral.yaml"), "--format", "json", "--quiet"])
    .then((stdout) => {
      const results = JSON.parse(stdout) as Array<{ code: string; severity: number; path: Array<string>; message: string; source: string }>
      const findingsOf = (file: string): Array<Finding> =>
        results.filter((result) => result.source === file).map((result) => ({
          rule: result.code,
          severity: result.severity === 0 ? "error" : "warning",
          where: result.path.join("."),
          message: result.message
        }))
      return { document: findingsOf(document), broken: findingsOf(broken) }
    })
  const redocly = run("redocly", ["lint", document, "--config", join(root, "redocly.yaml"), "--format", "json"]).then((stdout) =>
    (JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
      problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>
    }).problems.map((problem): Finding => ({
      rule: problem.ruleId,
      severity: problem.severity === "error" ? "error" : "warning",
      where: problem.location[0]?.pointer ?? "",
      message: problem.message
    }))
  )
  // Started together above; both take a few seconds.
  const results = Promise.all([spectral, redocly]).finally(() => rmSync(directory, { recursive: true, force: true }))

  it("Spectral (OpenAPI + OWASP API Security Top 10): no errors", async () => {
    const [{ document: findings }] = await results
    assert.deepStrictEqual(errorsIn(findings), [], summary(findings))
  }, 120_000)

  it("Spectral fails a document with an unbounded input string and array", async () => {
    const [{ broken: findings }] = await results
    const errors = errorsIn(findings)
    assert.isTrue(errors.some((error) => error.startsWith("owasp:api4:2023-string-limit at paths./v2/animals.get.parameters")), errors.join("\n"))
    assert.isTrue(errors.some((error) => error.startsWith("owasp:api4:2023-array-limit at paths./v2/animals.get.parameters")), errors.join("\n"))
  }, 120_000)

  it("Redocly (recommended rules): no errors", async () => {
    const [, findings] = await results
    assert.deepStrictEqual(errorsIn(findings), [], summary(findings))
  }, 120_000)
})
