/**
 * `npm run bench` (`-- --quick` for a smoke run): loads a raw `node:http`
 * baseline and the service, in one run, with the same requests, and prints
 * req/s, latency percentiles, errors, the server's RSS high-water and the
 * ratio to the baseline; with PostgreSQL also the ratio to a raw loop of the
 * same query through the same driver; then time to first 200 and RSS after
 * start, from the sources and from the bundle. Writes the same as JSON to
 * `bench-results/`. Servers run pinned to core 0 and the load to core 1 when
 * `taskset` exists. Bounded: under 2 min; `--quick` (memory only) ~25 s.
 *
 * The service is the production build (`npm run build`, made here) with its
 * production middleware: request ids, JSON access lines at Info, metrics,
 * security headers, auth on writes; rate limiting off.
 * Storages: memory; PGlite; PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set.
 *
 * Options: `--quick`, `--duration <s>` per scenario (3), `--connections <n>` (64).
 */
import autocannon from "autocannon"
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { build } from "rolldown"
import config from "../rolldown.config.ts"
import { createSchema } from "./lib/Postgres.ts"
import { apiKey, freePort, hasTaskset, memory, pidOf, type Server, start, stop } from "./lib/Processes.ts"

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : Number(process.argv[index + 1])
}
// `npm run bench --quick` (without `--`) reaches the script as npm's config, not as an argument.
const quick = process.argv.includes("--quick") || process.env.npm_config_quick === "true"
const duration = option("duration", quick ? 1.5 : 3)
const connections = option("connections", 64)
const projectDir = Path.resolve(import.meta.dirname, "..")
const bundle = "dist/main.js"
// The load generator takes core 1; servers get core 0.
if (hasTaskset && Os.cpus().length > 1) execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/animals`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000)
  }).then((r) => r.json() as Promise<{ id: string }>)

const lion = { name: "Bench Lion", date_of_birth: "2020-01-01", species: "lion" }

interface Measured {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  /** Responses with another status than the scenario expects, timeouts and socket errors. */
  readonly errors: number
}

/** autocannon, counting every status but the expected one as an error. */
const cannon = async (options: autocannon.Options, expected: number): Promise<Measured> => {
  await autocannon({ ...options, connections, duration: 1 }) // warm-up
  const result = await autocannon({ ...options, connections, duration })
  const total = Object.values(result.statusCodeStats ?? {}).reduce((sum, { count }) => sum + (count ?? 0), 0)
  const ok = result.statusCodeStats?.[String(expected) as keyof typeof result.statusCodeStats]?.count ?? 0
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (total - ok)
  }
}

/**
 * HEAD with Node's own client: autocannon waits for the body a HEAD answer's
 * `Content-Length` announces, and counts none. Node's client costs more per
 * request than autocannon, so HEAD ratios say less than the others.
 */
const headLoad = async (url: string, seconds: number): Promise<Measured> => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: connections })
  const latencies: Array<number> = []
  let errors = 0
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const request = Http.request(url, { method: "HEAD", agent, timeout: 10_000 }, (response) => {
        response.resume().once("end", () => {
          if (response.statusCode === 200) latencies.push(performance.now() - started)
          else errors++
          resolve()
        })
      })
      // `timeout` only reports; the request must be ended for the loop to go on.
      request.once("timeout", () => request.destroy(new Error("timed out")))
      request.once("error", () => {
        errors++
        resolve()
      })
      request.end()
    })
  const run = async (until: number) => {
    await Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < until) await once()
    }))
  }
  await run(performance.now() + 1000) // warm-up
  latencies.length = 0
  errors = 0
  await run(performance.now() + seconds * 1000)
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (quantile: number) => Math.round(latencies[Math.floor(quantile * (latencies.length - 1))] ?? 0)
  return { rps: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99), errors }
}

interface Scenario {
  readonly name: string
  readonly measure: (url: string, id: string) => Promise<Measured>
}

const json = { "content-type": "application/json", "x-api-key": apiKey }

const scenarios: ReadonlyArray<Scenario> = [
  { name: "GET by id", measure: (url, id) => cannon({ url: `${url}/v1/animals/${id}` }, 200) },
  { name: "list of 50", measure: (url) => cannon({ url: `${url}/v1/animals?limit=50` }, 200) },
  {
    name: "POST valid",
    measure: (url) => cannon({ url: `${url}/v1/animals`, method: "POST", headers: json, body: JSON.stringify(lion) }, 201)
  },
  {
    // A new key per request (each is a first request, not a replay): what a key costs a write.
    name: "POST with Idempotency-Key",
    measure: (url) =>
      cannon({
        url: `${url}/v1/animals`,
        method: "POST",
        headers: json,
        body: JSON.stringify(lion),
        requests: [{
          setupRequest: (request) => ({ ...request, headers: { ...request.headers, "idempotency-key": globalThis.crypto.randomUUID() } })
        }]
      }, 201)
  },
  {
    name: "POST invalid",
    measure: (url) =>
      cannon({
        url: `${url}/v1/animals`,
        method: "POST",
        headers: json,
        body: JSON.stringify({ name: "Leo", date_of_birth: "2021-02-30", species: "dragon" })
      }, 400)
  },
  { name: "HEAD by id", measure: (url, id) => headLoad(`${url}/v1/animals/${id}`, duration) },
  { name: "304 by id", measure: (url, id) => cannon({ url: `${url}/v1/animals/${id}`, headers: { "if-none-match": "\"1\"" } }, 304) }
]

interface Row extends Measured {
  readonly target: string
  readonly scenario: string
  readonly rssHwmMiB: number
  readonly ratio?: number | undefined
}

/** The raw-driver reference (`bench-pg-loop.ts`), pinned like a server. */
const rawQueryLoop = (url: string, id: string) =>
  new Promise<{ readonly qps: number; readonly p50: number; readonly p99: number }>((resolve, reject) => {
    const args = ["scripts/bench-pg-loop.ts", url, id, String(connections), String(duration)]
    const child = spawn(hasTaskset ? "taskset" : process.execPath, hasTaskset ? ["-c", "0", process.execPath, ...args] : args, {
      cwd: projectDir,
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), (duration + 30) * 1000)
    child.once("close", (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(JSON.parse(output))
      else reject(new Error(`bench-pg-loop exited ${code}: ${output}`))
    })
  })

/** 50 rows for the list; the first is the one read. */
const seed = async (server: Server) => (await Promise.all(Array.from({ length: 50 }, () => post(server.url, lion))))[0]!.id

interface Running {
  readonly name: string
  readonly server: Server
  readonly id: string
}

/**
 * Every scenario on each of `running` in turn, back to back: a ratio then
 * compares measurements seconds apart, not minutes (this kind of machine's
 * speed drifts by more than the differences measured).
 */
const loadInTurn = async (running: ReadonlyArray<Running>): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  for (const scenario of scenarios) {
    for (const { id, name, server } of running) {
      const measured = await scenario.measure(server.url, id)
      rows.push({ target: name, scenario: scenario.name, ...measured, rssHwmMiB: memory(pidOf(server)).hwmMiB })
    }
  }
  return rows
}

/** Starts `targets` (side by side: the one not under load idles), runs `use`, stops them. */
const withServers = async <A>(
  targets: ReadonlyArray<Target>,
  use: (running: ReadonlyArray<Running>) => Promise<A>
): Promise<A> => {
  const started: Array<Server> = []
  try {
    const running: Array<Running> = []
    for (const target of targets) {
      const server = await start(target.args, target.env, target.port)
      started.push(server)
      running.push({ name: target.name, server, id: await seed(server) })
    }
    return await use(running)
  } finally {
    for (const server of started) await stop(server)
  }
}

interface Target {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly port: number
}

/** Spawn → first 200 and RSS right then, the median of `times` starts. */
const measureStartup = async (target: Target, times: number) => {
  const runs: Array<{ startupMs: number; rssMiB: number }> = []
  for (let i = 0; i < times; i++) {
    const server = await start(target.args, target.env, target.port)
    runs.push({ startupMs: Math.round(server.startupMs), rssMiB: memory(pidOf(server)).rssMiB })
    await stop(server)
  }
  runs.sort((a, b) => a.startupMs - b.startupMs)
  return { target: target.name, ...runs[Math.floor(runs.length / 2)]! }
}

const main = async () => {
  await build({ ...config, logLevel: "warn" })
  const rows: Array<Row> = []
  const references: Array<Record<string, unknown>> = []
  const startups: Array<{ target: string; startupMs: number; rssMiB: number }> = []
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-bench-"))
  const postgresUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL
  // A schema of its own: every run starts empty (a list counts its rows) and leaves nothing behind.
  const schema = postgresUrl !== undefined && !quick ? await createSchema(postgresUrl, "bench") : undefined
  const storages: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ["memory", { STORAGE: "memory" }],
    ...(quick ? [] : [["PGlite", { DATA_DIR: dataDir }] as const]),
    ...(schema !== undefined ? [["PostgreSQL", { DATABASE_URL: schema.url() }] as const] : [])
  ]
  try {
    const target = async (name: string, args: ReadonlyArray<string>, env: Record<string, string>): Promise<Target> => {
      const port = await freePort()
      return { name, args: name === "node:http baseline" ? [...args, String(port)] : args, env, port }
    }
    // The baseline and the service in memory, scenario by scenario: the ratios the targets are about.
    rows.push(...await withServers(
      [await target("node:http baseline", ["scripts/bench-baseline.ts"], {}), await target("service, memory", [bundle], { STORAGE: "memory" })],
      loadInTurn
    ))
    for (const [storage, env] of storages.filter(([storage]) => storage !== "memory")) {
      rows.push(...await withServers([await target(`service, ${storage}`, [bundle], env)], async (running) => {
        const measured = await loadInTurn(running)
        if (storage === "PostgreSQL" && schema !== undefined) {
          const raw = await rawQueryLoop(schema.url(), running[0]!.id)
          const service = measured.find((row) => row.scenario === "GET by id")!
          references.push({ reference: "raw query loop, same driver", ...raw, serviceGetById: service.rps, ratio: Math.round((service.rps / raw.qps) * 100) / 100 })
        }
        return measured
      }))
    }
    for (const [storage, env] of storages) {
      for (const [build, args] of [["bundle", [bundle]], ["sources", ["src/main.ts"]]] as const) {
        startups.push(await measureStartup(await target(`${storage}, ${build}`, args, env), storage === "PGlite" ? 1 : 3))
      }
    }
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
    await schema?.drop()
  }
  const baseline = new Map(rows.filter((row) => row.target === "node:http baseline").map((row) => [row.scenario, row]))
  const withRatio = rows.map((row) => {
    const base = baseline.get(row.scenario)?.rps ?? 0
    return { ...row, ratio: base > 0 ? Math.round((row.rps / base) * 100) / 100 : undefined }
  })
  console.table(withRatio)
  if (references.length > 0) console.table(references)
  console.table(startups)
  const memoryRow = (scenario: string) => withRatio.find((row) => row.target === "service, memory" && row.scenario === scenario)
  const postgresStart = startups.find((row) => row.target === "PostgreSQL, bundle")
  const checks = [
    ["GET by id ≥ 0.6× baseline (memory)", (memoryRow("GET by id")?.ratio ?? 0) >= 0.6],
    ["list of 50 ≥ 0.45× baseline (memory)", (memoryRow("list of 50")?.ratio ?? 0) >= 0.45],
    ["p99 ≤ 2× the baseline's (memory, GET by id)", (memoryRow("GET by id")?.p99 ?? Infinity) <= 2 * Math.max(1, baseline.get("GET by id")?.p99 ?? 0)],
    [
      "POST with Idempotency-Key costs ≤ 15 % over POST (memory)",
      (memoryRow("POST with Idempotency-Key")?.rps ?? 0) * 1.15 >= (memoryRow("POST valid")?.rps ?? Infinity)
    ],
    ["no errors", withRatio.every((row) => row.errors === 0)],
    ...(references.length > 0 ? [["PostgreSQL GET by id ≥ 0.8× raw query loop", (references[0]!.ratio as number) >= 0.8] as const] : []),
    ...(postgresStart !== undefined
      ? [
        ["PostgreSQL bundle: first 200 ≤ 600 ms", postgresStart.startupMs <= 600] as const,
        ["PostgreSQL bundle: RSS ≤ 120 MB", postgresStart.rssMiB * 1.048576 <= 120] as const
      ]
      : [])
  ] as const
  for (const [check, met] of checks) console.info(`${met ? "met    " : "MISSED "} ${check}`)
  Fs.mkdirSync(Path.join(projectDir, "bench-results"), { recursive: true })
  const file = Path.join(projectDir, "bench-results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`)
  Fs.writeFileSync(
    file,
    JSON.stringify({ quick, duration, connections, pinned: hasTaskset, node: process.version, rows: withRatio, references, startups, checks }, null, 2)
  )
  console.info(`written ${Path.relative(projectDir, file)}`)
}

await main()
