/**
 * Every example in README.md and docs/*.md runs, in order, against a fresh
 * server started as `npm start` starts it (PGlite in a new data directory, no
 * API_KEYS: the development key it prints is the one the examples use as
 * `$ZOO_KEY`), and what the document shows it answering is checked (the
 * convention is in test/support/DocBlocks.ts). A document edited into
 * something the service does not do fails here.
 *
 * What the test changes in an example, and why:
 * - `localhost:3000` becomes the test server's address (a free port, so runs
 *   in parallel do not collide);
 * - `npm install`, `npm start` and `npm test` are not run: the server started
 *   here stands in for the first two, and the suite is already running.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { serviceFree } from "../scripts/lib/Environment.ts"
import { type DocBlock, outputMismatches, parseSteps, type Step } from "./support/DocBlocks.ts"
import { type ServerProcess, startServer } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
const documents = [
  "README.md",
  ...Fs.readdirSync(Path.join(projectDir, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)
]

/** Lines of a shell block that the test does not run (see the header). */
const notRun = /^(npm (install|ci)( && npm start)?|npm start|npm test)(\s|$)/

const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-walkthrough-"))
// Snippets import `zoo-api/client`, which resolves from inside the project only.
const snippetDir = Fs.mkdtempSync(Path.join(projectDir, ".doc-snippets-"))
let server: ServerProcess
let shell: ChildProcessWithoutNullStreams
let shellOutput = ""
let developmentKey = ""

beforeAll(async () => {
  // No API_KEYS: the server makes and prints a development key, as `npm start` does.
  server = await startServer({ DATA_DIR: dataDir, API_KEYS: "" }, { timeoutMs: 60_000 })
  developmentKey = /Development API key: (\S+)/.exec(server.output())?.[1] ?? ""
  assert.notStrictEqual(developmentKey, "", `no development key printed:\n${server.output()}`)
  shell = spawn("bash", ["--norc", "--noprofile"], {
    cwd: projectDir,
    env: {
      ...serviceFree(process.env),
      PATH: `${Path.join(projectDir, "node_modules", ".bin")}:${process.env.PATH}`,
      ZOO_KEY: developmentKey,
      DATA_DIR: dataDir,
      PORT: new URL(server.url).port
    }
  })
  shell.stdout.setEncoding("utf8").on("data", (chunk: string) => shellOutput += chunk)
  shell.stderr.setEncoding("utf8").on("data", (chunk: string) => shellOutput += chunk)
}, 90_000)

afterAll(async () => {
  shell?.kill("SIGKILL")
  await server?.stop()
  Fs.rmSync(dataDir, { recursive: true, force: true })
  Fs.rmSync(snippetDir, { recursive: true, force: true })
})

const localize = (code: string) => code.replaceAll("localhost:3000", new URL(server.url).host)

let marks = 0
/** Runs `script` in the shell the steps share (variables carry over); its output and exit code. */
const runInShell = async (script: string, timeoutMs = 60_000) => {
  const mark = `__step_${++marks}_done__`
  const from = shellOutput.length
  shell.stdin.write(`${script}\nprintf '\\n${mark} %s\\n' "$?"\n`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = new RegExp(`\\n${mark} (\\d+)\\n`).exec(shellOutput.slice(from))
    if (found !== null) {
      return { output: shellOutput.slice(from, from + found.index), exitCode: Number(found[1]) }
    }
    if (Date.now() > deadline) throw new Error(`no end within ${timeoutMs} ms; output so far:\n${shellOutput.slice(from)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A ```ts block's first line says how to run it (`// hello.ts — run with: npx node hello.ts`); node otherwise. */
const tsCommand = (block: DocBlock, index: number) => {
  const header = /^\/\/\s*(\S+\.ts)\b.*run with:\s*(.+)$/.exec(block.code.split("\n")[0] ?? "")
  const file = header?.[1] ?? `snippet-${index}.ts`
  return { file, command: header?.[2]?.trim() ?? `node ${file}` }
}

const runStep = async (step: Step, index: number) => {
  const { block } = step
  if (block.lang === "ts") {
    const { command, file } = tsCommand(block, index)
    Fs.writeFileSync(Path.join(snippetDir, file), localize(block.code))
    return runInShell(`(cd ${JSON.stringify(snippetDir)} && ${command})`)
  }
  const lines = block.code.split("\n")
  const skipped = lines.filter((line) => notRun.test(line.trim()))
  if (skipped.length > 0) {
    assert.strictEqual(skipped.length, lines.filter((line) => line.trim() !== "").length, "a block with npm start/test runs nothing else")
    return undefined
  }
  return runInShell(localize(block.code))
}

/** Every document's steps; the README comes first, and the docs build on the data it made. */
const walkthrough = documents.flatMap((document) =>
  parseSteps(Fs.readFileSync(Path.join(projectDir, document), "utf8")).map((step) => ({ document, step }))
)

// One test: the steps are one user's session, each building on the ones before,
// so they run in order whatever order the runner gives its tests.
it("every example in README.md and docs/*.md, run in order, answers what it shows", async () => {
  assert.isAbove(walkthrough.length, 20, "the README and docs have their examples")
  for (const [index, { document, step }] of walkthrough.entries()) {
    const result = await runStep(step, index)
    if (result === undefined) continue
    const where = `${document} line ${step.block.line}`
    assert.strictEqual(result.exitCode, 0, `${where}: exit code ${result.exitCode}; output:\n${result.output}`)
    const problems = outputMismatches(step.expected, result.output)
    assert.deepStrictEqual(problems, [], `${where}:\n${problems.join("\n")}`)
  }
}, 600_000)

describe("the document convention", () => {
  it("fails when a shown status, header or body is not what the service answers", async () => {
    const [created] = parseSteps([
      "```sh",
      `curl -si -X POST localhost:3000/v2/habitats -H "x-api-key: $ZOO_KEY" -H 'content-type: application/json' -d '{"name":"Convention Check","climate":"polar","capacity":3}'`,
      "```",
      "```http",
      "HTTP/1.1 200 OK",
      "etag: \"7\"",
      "",
      "{\"name\": \"Other Name\", \"climate\": \"polar\"}",
      "```"
    ].join("\n"))
    const result = await runStep(created!, 0)
    assert.isDefined(result)
    assert.deepStrictEqual(outputMismatches(created!.expected, result.output).map((problem) => problem.split(/[:,]/)[0]), [
      "shown status 200",
      "shown header \"etag",
      "$.name"
    ])
  })
})
