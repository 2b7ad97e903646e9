/**
 * `npm run bench` (`-- --quick` for a smoke run): loads a raw `node:http`
 * baseline and the service, in one run, with the same requests, and prints
 * req/s, latency percentiles, errors, the server's RSS high-water and the
 * ratio to the baseline; then startup time and RSS. Writes the same as JSON
 * to `bench-results/`. Servers run pinned to core 0 and the load to core 1
 * when `taskset` exists. Bounded: ~2 min, ~30 s with `--quick`.
 *
 * The service runs with its production middleware (request ids, JSON access
 * lines at Info, metrics, security headers, auth on writes); rate limiting off.
 * Storages: memory; PGlite; PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set.
 */
import autocannon from "autocannon"
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const quick = process.argv.includes("--quick")
const duration = quick ? 2 : 6
const projectDir = Path.resolve(import.meta.dirname, "..")
const apiKey = "bench-key"
const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
// The load generator takes core 1; servers get core 0.
if (hasTaskset && Os.cpus().length > 1) execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

interface Server {
  readonly url: string
  readonly child: ChildProcess
  readonly startupMs: number
}

const start = async (args: ReadonlyArray<string>, env: Record<string, string>, port: number): Promise<Server> => {
  const started = performance.now()
  const command = hasTaskset ? "taskset" : process.execPath
  const child = spawn(command, hasTaskset ? ["-c", "0", process.execPath, ...args] : [...args], {
    cwd: projectDir,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", API_KEYS: apiKey, LOG_LEVEL: "Info" },
    stdio: ["ignore", "ignore", "inherit"]
  })
  const url = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const status = await fetch(`${url}/v1/animals`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status, () => 0)
    if (status === 200) return { url, child, startupMs: performance.now() - started }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  child.kill("SIGKILL")
  throw new Error(`${args.join(" ")} did not serve within 60 s`)
}

/** Resident set size and its high-water mark, from /proc (Linux), in MiB. */
const memory = (pid: number) => {
  try {
    const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const read = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
    return { rssMiB: Math.round(read("VmRSS")), hwmMiB: Math.round(read("VmHWM")) }
  } catch {
    return { rssMiB: 0, hwmMiB: 0 }
  }
}

/** The node pid behind `taskset` (it execs, so it is the same pid). */
const pidOf = (server: Server) => server.child.pid!

const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    server.child.once("exit", () => resolve())
    server.child.kill("SIGTERM")
    setTimeout(() => server.child.kill("SIGKILL"), 5_000).unref()
  })

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/animals`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify(body)
  }).then((r) => r.json() as Promise<{ id: string }>)

const lion = { name: "Bench Lion", date_of_birth: "2020-01-01", species: "lion" }

interface Scenario {
  readonly name: string
  readonly options: (url: string, id: string) => autocannon.Options
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "GET by id", options: (url, id) => ({ url: `${url}/v1/animals/${id}` }) },
  { name: "list of 50", options: (url) => ({ url: `${url}/v1/animals?limit=50` }) },
  {
    name: "POST valid",
    options: (url) => ({
      url: `${url}/v1/animals`,
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify(lion)
    })
  },
  {
    name: "POST invalid",
    options: (url) => ({
      url: `${url}/v1/animals`,
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ name: "Leo", date_of_birth: "2021-02-30", species: "dragon" })
    })
  },
  // autocannon counts no completed HEAD responses (it waits for the body Content-Length announces): reported as 0.
  { name: "HEAD by id", options: (url, id) => ({ url: `${url}/v1/animals/${id}`, method: "HEAD" }) },
  { name: "304 by id", options: (url, id) => ({ url: `${url}/v1/animals/${id}`, headers: { "if-none-match": "\"1\"" } }) }
]

interface Row {
  readonly target: string
  readonly scenario: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  readonly rssHwmMiB: number
  readonly ratio?: number
}

const load = async (target: string, server: Server): Promise<Array<Row>> => {
  // 50 rows for the list, one to read.
  const seeded = await Promise.all(Array.from({ length: 50 }, () => post(server.url, lion)))
  const id = seeded[0]!.id
  const rows: Array<Row> = []
  for (const scenario of scenarios) {
    const options = { connections: 10, ...scenario.options(server.url, id) }
    await autocannon({ ...options, duration: 1 }) // warm-up
    const result = await autocannon({ ...options, duration })
    rows.push({
      target,
      scenario: scenario.name,
      rps: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts + (scenario.name === "POST invalid" ? 0 : result.non2xx - (scenario.name === "304 by id" ? result["3xx"] ?? 0 : 0)),
      rssHwmMiB: memory(pidOf(server)).hwmMiB
    })
  }
  return rows
}

const main = async () => {
  const rows: Array<Row> = []
  const startups: Array<{ target: string; startupMs: number; rssMiB: number }> = []
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-bench-"))
  const postgresUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL
  const targets: Array<[string, ReadonlyArray<string>, Record<string, string>]> = [
    ["node:http baseline", ["scripts/bench-baseline.ts"], {}],
    ["service, memory", ["src/main.ts"], { STORAGE: "memory" }],
    ...(quick ? [] : [["service, PGlite", ["src/main.ts"], { DATA_DIR: dataDir }] as [string, ReadonlyArray<string>, Record<string, string>]]),
    ...(postgresUrl && !quick ? [["service, PostgreSQL", ["src/main.ts"], { DATABASE_URL: postgresUrl }] as [string, ReadonlyArray<string>, Record<string, string>]] : [])
  ]
  try {
    for (const [target, args, env] of targets) {
      const port = await freePort()
      const server = await start(target.startsWith("node:http") ? [...args, String(port)] : args, env, port)
      startups.push({ target, startupMs: Math.round(server.startupMs), rssMiB: memory(pidOf(server)).rssMiB })
      try {
        rows.push(...await load(target, server))
      } finally {
        await stop(server)
      }
    }
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const baseline = new Map(rows.filter((row) => row.target === "node:http baseline").map((row) => [row.scenario, row.rps]))
  const withRatio = rows.map((row) => {
    const base = baseline.get(row.scenario) ?? 0
    return { ...row, ratio: base > 0 ? Math.round((row.rps / base) * 100) / 100 : undefined }
  })
  console.table(withRatio)
  console.table(startups)
  Fs.mkdirSync(Path.join(projectDir, "bench-results"), { recursive: true })
  const file = Path.join(projectDir, "bench-results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`)
  Fs.writeFileSync(file, JSON.stringify({ quick, duration, pinned: hasTaskset, rows: withRatio, startups }, null, 2))
  console.info(`written ${Path.relative(projectDir, file)}`)
}

await main()
