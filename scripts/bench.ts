/**
 * `npm run bench` (`-- --quick` for a smoke run): loads, in one run and taking
 * turns scenario by scenario, a raw `node:http` baseline, a bare effect
 * `HttpApi` app (`bench-bare-httpapi.ts`) and the service on memory, PGlite
 * and PostgreSQL, with the same requests, and prints req/s, latency
 * percentiles, errors, the server's RSS high-water and the ratios: service ÷
 * raw, service ÷ bare, a database ÷ the service on memory. With PostgreSQL
 * also a raw loop of the same query through the same driver. Then the scale
 * rows: lists of 50 (unfiltered, by species, by habitat) at 1 000 and at
 * 1 000 000 animals seeded in SQL, on PostgreSQL and PGlite; then time to
 * first 200 and RSS after start, from the sources and from the bundle (PGlite
 * on a fresh and on an existing data directory). It says for each of the
 * issue's targets whether it was met, with the number, and writes everything
 * as JSON to `bench-results/`. Servers run pinned to core 0 and the load to
 * core 1 when `taskset` exists. `--quick`: memory only, ~40 s; the whole run
 * takes ~10 min on 2 cores, most of it seeding the million rows.
 *
 * The service is the production build (`npm run build`, made here) with its
 * production middleware: request ids, JSON access lines at Info, metrics,
 * security headers, auth on writes; rate limiting off.
 * PostgreSQL runs when DATABASE_URL or TEST_DATABASE_URL is set.
 *
 * Options: `--quick`, `--duration <s>` per scenario (3), `--connections <n>` (64),
 * `--scale-rows <n>` (1 000 000; 0 skips the scale rows).
 */
import autocannon from "autocannon"
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { build } from "rolldown"
import config from "../rolldown.config.ts"
import { PGlite } from "@electric-sql/pglite"
import { adminQuery, createSchema } from "./lib/Postgres.ts"
import { apiKey, freePort, hasTaskset, memory, npmStartArgs, pidOf, type Server, start, stop } from "./lib/Processes.ts"

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : Number(process.argv[index + 1])
}
// `npm run bench --quick` (without `--`) reaches the script as npm's config, not as an argument.
const quick = process.argv.includes("--quick") || process.env.npm_config_quick === "true"
const duration = option("duration", quick ? 1.5 : 3)
const connections = option("connections", 64)
const scaleRows = quick ? 0 : option("scale-rows", 1_000_000)
const projectDir = Path.resolve(import.meta.dirname, "..")
/** The bundle as `npm run start:dist` runs it. */
const bundle = npmStartArgs("start:dist")
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
  /** The bare HttpApi app serves it too (it has no ETags, no HEAD of its own, no Idempotency-Key). */
  readonly bare?: boolean
}

const json = { "content-type": "application/json", "x-api-key": apiKey }

const scenarios: ReadonlyArray<Scenario> = [
  { name: "GET by id", bare: true, measure: (url, id) => cannon({ url: `${url}/v1/animals/${id}` }, 200) },
  { name: "list of 50", bare: true, measure: (url) => cannon({ url: `${url}/v1/animals?limit=50` }, 200) },
  {
    name: "POST valid",
    bare: true,
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
    bare: true,
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

const raw = "node:http baseline"
const bare = "bare HttpApi"
const onMemory = "service, memory"

/**
 * Every scenario on each of `running` in turn, back to back: a ratio then
 * compares measurements seconds apart, not minutes (this kind of machine's
 * speed drifts by more than the differences measured).
 */
const loadInTurn = async (running: ReadonlyArray<Running>, among = scenarios): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  for (const scenario of among) {
    for (const { id, name, server } of running) {
      if (name === bare && !scenario.bare) continue
      const measured = await scenario.measure(server.url, id)
      rows.push({ target: name, scenario: scenario.name, ...measured, rssHwmMiB: memory(pidOf(server)).hwmMiB })
    }
  }
  return rows
}

interface Target {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly port: number
}

/** Starts `targets` (side by side: those not under load idle), runs `use`, stops them. */
const withServers = async <A>(
  targets: ReadonlyArray<Target>,
  use: (running: ReadonlyArray<Running>) => Promise<A>,
  seedWith: (server: Server) => Promise<string> = seed
): Promise<A> => {
  const started: Array<Server> = []
  try {
    const running: Array<Running> = []
    for (const target of targets) {
      const server = await start(target.args, target.env, target.port)
      started.push(server)
      running.push({ name: target.name, server, id: await seedWith(server) })
    }
    return await use(running)
  } finally {
    for (const server of started) await stop(server)
  }
}

const target = async (name: string, args: ReadonlyArray<string>, env: Record<string, string>): Promise<Target> => {
  const port = await freePort()
  // The baselines take their port as an argument.
  return { name, args: name === raw || name === bare ? [...args, String(port)] : args, env, port }
}

/** Spawn → first 200 and RSS right then, the median of `times` starts; `fresh` makes the environment of each. */
const measureStartup = async (name: string, args: ReadonlyArray<string>, fresh: () => Record<string, string>, times: number) => {
  const runs: Array<{ startupMs: number; rssMiB: number }> = []
  for (let i = 0; i < times; i++) {
    const server = await start(args, fresh(), await freePort())
    runs.push({ startupMs: Math.round(server.startupMs), rssMiB: memory(pidOf(server)).rssMiB })
    await stop(server)
  }
  runs.sort((a, b) => a.startupMs - b.startupMs)
  return { target: name, ...runs[Math.floor(runs.length / 2)]! }
}

// -----------------------------------------------------------------------------
// Scale: lists at 1 000 and at `scaleRows` animals
// -----------------------------------------------------------------------------

const species = ["lion", "tiger", "elephant", "monkey", "zebra", "panda"]
const benchHabitats = 10

/**
 * Animals `from`..`to` in SQL (not through the API): species in turn, ten
 * habitats in turn. The capacity check and the per-row change stamp are off
 * while it runs (both fire per row; neither is what is measured), the counts
 * kept for the lists stay on: the totals read back must be exact.
 */
const seedStatements = (from: number, to: number) => [
  "ALTER TABLE animals DISABLE TRIGGER animals_habitat_capacity",
  "ALTER TABLE animals DISABLE TRIGGER animals_changed",
  `INSERT INTO habitats (id, name, climate, capacity)
   SELECT gen_random_uuid(), 'Bench habitat ' || lpad(h::text, 2, '0'), 'temperate', 2000000000 FROM generate_series(1, ${benchHabitats}) h
   ON CONFLICT (name) DO NOTHING`,
  `WITH bench AS (SELECT array_agg(id ORDER BY name) AS ids FROM habitats WHERE name LIKE 'Bench habitat %')
   INSERT INTO animals (id, name, date_of_birth, species, habitat_id)
   SELECT gen_random_uuid(), 'Bench animal ' || i, date '2000-01-01' + (i % 7000),
     (ARRAY[${species.map((name) => `'${name}'`).join(", ")}])[1 + i % ${species.length}], ids[1 + i % ${benchHabitats}]
   FROM generate_series(${from}, ${to}) i, bench`,
  "ALTER TABLE animals ENABLE TRIGGER animals_changed",
  "ALTER TABLE animals ENABLE TRIGGER animals_habitat_capacity",
  `INSERT INTO collection_changes VALUES ('animals', clock_timestamp())
   ON CONFLICT (collection) DO UPDATE SET changed_at = excluded.changed_at`,
  // A table at rest, as one this size is once autovacuum has been through it (visibility map and hint bits set,
  // statistics current): otherwise the measurement right after a bulk load measures the vacuum that follows it.
  "VACUUM ANALYZE animals"
]
/** The habitat the filtered list asks for: it gets the animals i with i % 10 = 0. */
const firstHabitat = "SELECT id FROM habitats WHERE name = 'Bench habitat 01'"

/** Runs statements on a stopped service's database; the last one's rows. */
type Seeder = (statements: ReadonlyArray<string>) => Promise<ReadonlyArray<Record<string, unknown>>>

const postgresSeeder = (url: string): Seeder => async (statements) => {
  let rows: ReadonlyArray<Record<string, unknown>> = []
  for (const statement of statements) rows = await adminQuery(url, statement, [], "20 minutes")
  return rows
}

/** PGlite in this process, on the data directory the (stopped) service uses. */
const pgliteSeeder = (dataDir: string): Seeder => async (statements) => {
  const db = await PGlite.create({ dataDir })
  try {
    let rows: ReadonlyArray<Record<string, unknown>> = []
    for (const statement of statements) rows = (await db.query<Record<string, unknown>>(statement)).rows
    return rows
  } finally {
    await db.close()
  }
}

interface ScaleRow extends Measured {
  readonly target: string
  readonly scenario: string
  readonly animals: number
  /** `X-Total-Count` equals the rows seeded that match. */
  readonly exactTotal: boolean
}

/** How many of animals 1..n the seed puts in `species[0]` (i % 6 = 0) and in the first habitat (i % 10 = 0). */
const expectedTotals = (n: number) => ({ all: n, lion: Math.floor(n / species.length), habitat: Math.floor(n / benchHabitats) })

const scaleScenarios = (habitatId: string) =>
  [
    ["list of 50", "", "all"],
    ["list of 50, species=lion", "&species=lion", "lion"],
    ["list of 50, habitat_id", `&habitat_id=${habitatId}`, "habitat"]
  ] as const

/** A database of its own for one size: the service's environment for it, and how to seed it while the service is stopped. */
interface ScaleDatabase {
  readonly env: Record<string, string>
  readonly seeder: Seeder
}

/**
 * 1 000 animals in `small`, `scaleRows` in `large`, each seeded once; then both
 * services side by side, and each list loaded on them in turn (small, large,
 * large, small, the mean of each size's two): the ratio compares neighbours in
 * time, as the main table's do, not measurements minutes apart with a bulk
 * load and its aftermath in between.
 */
const measureScale = async (storage: string, small: ScaleDatabase, large: ScaleDatabase): Promise<Array<ScaleRow>> => {
  const sized: Array<{ readonly animals: number; readonly service: Target; readonly habitatId: string }> = []
  for (const [animals, database] of [[1_000, small], [scaleRows, large]] as const) {
    const service = await target(`service, ${storage}`, bundle, database.env)
    // Migrate: the seed writes into the service's own schema.
    await stop(await start(service.args, service.env, service.port))
    const started = performance.now()
    const [habitat] = await database.seeder([...seedStatements(1, animals), firstHabitat])
    console.info(`${storage}: seeded ${animals} animals in ${Math.round(performance.now() - started)} ms`)
    sized.push({ animals, service, habitatId: String(habitat!.id) })
  }
  const servers: Array<Server> = []
  try {
    for (const { service } of sized) servers.push(await start(service.args, service.env, service.port))
    const rows: Array<ScaleRow> = []
    // The same lists on each size; only the habitat's id differs between the two databases.
    const listsOf = sized.map(({ habitatId }) => scaleScenarios(habitatId))
    for (const [index, [scenario, , key]] of listsOf[0]!.entries()) {
      const urls = listsOf.map((lists, i) => `${servers[i]!.url}/v1/animals?limit=50${lists[index]![1]}`)
      const runs: Array<Array<Measured>> = sized.map(() => [])
      for (const i of [0, 1, 1, 0]) runs[i]!.push(await cannon({ url: urls[i]! }, 200))
      for (const [i, { animals, service }] of sized.entries()) {
        const total = await fetch(urls[i]!).then((response) => Number(response.headers.get("x-total-count")))
        const [first, second] = runs[i] as [Measured, Measured]
        const mean = (pick: (measured: Measured) => number) => Math.round((pick(first) + pick(second)) / 2)
        rows.push({
          target: service.name,
          scenario,
          animals,
          exactTotal: total === expectedTotals(animals)[key],
          rps: mean((m) => m.rps),
          p50: mean((m) => m.p50),
          p99: mean((m) => m.p99),
          errors: first.errors + second.errors
        })
      }
    }
    return rows
  } finally {
    for (const server of servers) await stop(server)
  }
}

// -----------------------------------------------------------------------------
// The run
// -----------------------------------------------------------------------------

const round2 = (value: number) => Math.round(value * 100) / 100
const mb = (mib: number) => Math.round(mib * 1.048576)

const main = async () => {
  await build({ ...config, logLevel: "warn" })
  const rows: Array<Row> = []
  const references: Array<Record<string, unknown>> = []
  const scale: Array<ScaleRow> = []
  const startups: Array<{ target: string; startupMs: number; rssMiB: number }> = []
  const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-bench-"))
  const dataDir = (name: string) => Path.join(tmp, name)
  let fresh = 0
  const freshDataDir = () => dataDir(`fresh-${fresh++}`)
  const postgresUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL
  // Schemas of their own: every run starts empty (a list counts its rows) and leaves nothing behind.
  const schema = postgresUrl !== undefined && !quick ? await createSchema(postgresUrl, "bench") : undefined
  const scaleSchemas = postgresUrl !== undefined && scaleRows > 0
    ? [await createSchema(postgresUrl, "bench_small"), await createSchema(postgresUrl, "bench_large")] as const
    : undefined
  const storages: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ["memory", { STORAGE: "memory" }],
    ...(quick ? [] : [["PGlite", { DATA_DIR: dataDir("load") }] as const]),
    ...(schema !== undefined ? [["PostgreSQL", { DATABASE_URL: schema.url() }] as const] : [])
  ]
  try {
    // Everything in turn, scenario by scenario: the ratios the targets are about compare neighbours.
    const targets = [
      await target(raw, ["scripts/bench-baseline.ts"], {}),
      await target(bare, ["scripts/bench-bare-httpapi.ts"], {}),
      ...await Promise.all(storages.map(([storage, env]) => target(`service, ${storage}`, bundle, env)))
    ]
    rows.push(...await withServers(targets, async (running) => {
      const measured = await loadInTurn(running)
      const postgres = running.find((one) => one.name === "service, PostgreSQL")
      if (postgres !== undefined && schema !== undefined) {
        const loop = await rawQueryLoop(schema.url(), postgres.id)
        const service = measured.find((row) => row.target === postgres.name && row.scenario === "GET by id")!
        references.push({ reference: "raw query loop, same driver", ...loop, serviceGetById: service.rps, ratio: round2(service.rps / loop.qps) })
      }
      return measured
    }))
    const onSchema = (schema: { readonly url: () => string }): ScaleDatabase => ({ env: { DATABASE_URL: schema.url() }, seeder: postgresSeeder(schema.url()) })
    const inDataDir = (dir: string): ScaleDatabase => ({ env: { DATA_DIR: dir }, seeder: pgliteSeeder(dir) })
    if (scaleSchemas !== undefined) scale.push(...await measureScale("PostgreSQL", onSchema(scaleSchemas[0]), onSchema(scaleSchemas[1])))
    if (scaleRows > 0) scale.push(...await measureScale("PGlite", inDataDir(dataDir("scale-small")), inDataDir(dataDir("scale-large"))))
    for (const [storage, env] of storages) {
      // "npm start" is the sources as package.json starts them.
      for (const [build, args] of [["bundle", bundle], ["npm start", npmStartArgs()]] as const) {
        const name = storage === "PGlite" ? `PGlite (existing data), ${build}` : `${storage}, ${build}`
        startups.push(await measureStartup(name, args, () => env, storage === "PGlite" ? 2 : 3))
      }
      if (storage === "PGlite") {
        startups.push(await measureStartup("PGlite (fresh data directory), npm start", npmStartArgs(), () => ({ DATA_DIR: freshDataDir() }), 2))
      }
    }
  } finally {
    Fs.rmSync(tmp, { recursive: true, force: true })
    await schema?.drop()
    for (const one of scaleSchemas ?? []) await one.drop()
  }

  const find = (name: string, scenario: string) => rows.find((row) => row.target === name && row.scenario === scenario)
  const ratio = (row: Row, to: string) => {
    const base = find(to, row.scenario)?.rps ?? 0
    return row.target !== to && base > 0 ? round2(row.rps / base) : undefined
  }
  const table = rows.map((row) => ({
    ...row,
    "÷ raw": ratio(row, raw),
    "÷ bare": row.target.startsWith("service") ? ratio(row, bare) : undefined,
    "÷ memory": row.target.startsWith("service") ? ratio(row, onMemory) : undefined
  }))
  console.table(table)
  if (references.length > 0) console.table(references)
  const scaleTable = scale.map((row) => {
    const small = scale.find((other) => other.target === row.target && other.scenario === row.scenario && other.animals === 1_000)
    return { ...row, "÷ at 1 000": small !== undefined && row !== small ? round2(row.rps / small.rps) : undefined }
  })
  if (scaleTable.length > 0) console.table(scaleTable)
  console.table(startups)

  // The issue's targets, each with the number measured; "n/a" when this run did not measure it.
  type Check = readonly [string, number | undefined, (value: number) => boolean]
  const memoryRatio = (scenario: string, to: string) => {
    const row = find(onMemory, scenario)
    return row && ratio(row, to)
  }
  const storageRatio = (storage: string, scenario: string) => {
    const row = find(`service, ${storage}`, scenario)
    return row && ratio(row, onMemory)
  }
  const startup = (name: string) => startups.find((row) => row.target === name)
  const worstP99 = Math.max(
    ...scenarios.map((scenario) => (find(onMemory, scenario.name)?.p99 ?? Infinity) / Math.max(1, find(raw, scenario.name)?.p99 ?? 0))
  )
  const checks: ReadonlyArray<Check> = [
    ["memory: GET by id ≥ 0.90× bare HttpApi", memoryRatio("GET by id", bare), (x) => x >= 0.9],
    ["memory: GET by id ≥ 0.40× raw", memoryRatio("GET by id", raw), (x) => x >= 0.4],
    ["memory: list of 50 ≥ 0.45× raw", memoryRatio("list of 50", raw), (x) => x >= 0.45],
    ["memory: POST valid ≥ 0.35× raw", memoryRatio("POST valid", raw), (x) => x >= 0.35],
    ["memory: POST invalid ≥ 0.30× raw", memoryRatio("POST invalid", raw), (x) => x >= 0.3],
    ["memory: p99 ≤ 3× raw's p99 in every scenario (worst ratio)", round2(worstP99), (x) => x <= 3],
    [
      "memory: POST with Idempotency-Key ≥ 1/1.15 of POST (≤ 15 % more)",
      (() => {
        const keyed = find(onMemory, "POST with Idempotency-Key")?.rps
        const plain = find(onMemory, "POST valid")?.rps
        return keyed !== undefined && plain ? round2(keyed / plain) : undefined
      })(),
      (x) => x * 1.15 >= 1
    ],
    ["PGlite: GET by id ≥ 0.50× memory", storageRatio("PGlite", "GET by id"), (x) => x >= 0.5],
    ["PGlite: list of 50 ≥ 0.35× memory", storageRatio("PGlite", "list of 50"), (x) => x >= 0.35],
    ["PGlite: RSS after start ≤ 250 MB (bundle, MB)", mapOr(startup("PGlite (existing data), bundle"), (row) => mb(row.rssMiB)), (x) => x <= 250],
    ["PGlite: RSS after start ≤ 250 MB (npm start, MB)", mapOr(startup("PGlite (existing data), npm start"), (row) => mb(row.rssMiB)), (x) => x <= 250],
    ["PGlite: npm start first 200 ≤ 1 500 ms, fresh data directory", startup("PGlite (fresh data directory), npm start")?.startupMs, (x) => x <= 1500],
    ["PGlite: npm start first 200 ≤ 1 000 ms, existing data", startup("PGlite (existing data), npm start")?.startupMs, (x) => x <= 1000],
    ["PostgreSQL: GET by id ≥ 0.80× memory", storageRatio("PostgreSQL", "GET by id"), (x) => x >= 0.8],
    ...["PostgreSQL", "PGlite"].flatMap((storage) =>
      scaleScenarios("").map(([scenario]): Check => [
        `scale, ${storage}: ${scenario} at ${(scaleRows || 1_000_000).toLocaleString("en")} rows ≥ 0.80× at 1 000`,
        scaleTable.find((row) => row.target === `service, ${storage}` && row.scenario === scenario && row.animals === scaleRows)?.["÷ at 1 000"],
        (x) => x >= 0.8
      ])
    ),
    ["scale: every X-Total-Count exact (rows)", scale.length > 0 ? scale.filter((row) => row.exactTotal).length : undefined, (x) => x === scale.length],
    ["PostgreSQL bundle: first 200 ≤ 300 ms", startup("PostgreSQL, bundle")?.startupMs, (x) => x <= 300],
    ["PostgreSQL bundle: RSS after start ≤ 120 MB", mapOr(startup("PostgreSQL, bundle"), (row) => mb(row.rssMiB)), (x) => x <= 120],
    ["no errors (rows with errors)", [...rows, ...scale].filter((row) => row.errors > 0).length, (x) => x === 0]
  ]
  const verdicts = checks.map(([check, value, met]) => ({ check, value, verdict: value === undefined ? "n/a" : met(value) ? "met" : "MISSED" }))
  for (const { check, value, verdict } of verdicts) console.info(`${verdict.padEnd(7)} ${check}: ${value ?? "not measured"}`)
  Fs.mkdirSync(Path.join(projectDir, "bench-results"), { recursive: true })
  const file = Path.join(projectDir, "bench-results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`)
  Fs.writeFileSync(
    file,
    JSON.stringify(
      { quick, duration, connections, scaleRows, pinned: hasTaskset, node: process.version, rows: table, references, scale: scaleTable, startups, checks: verdicts },
      null,
      2
    )
  )
  console.info(`written ${Path.relative(projectDir, file)}`)
}

const mapOr = <A, B>(value: A | undefined, f: (a: A) => B): B | undefined => value === undefined ? undefined : f(value)

await main()
