/**
 * `node scripts/soak.ts`: soak and fault checks of the real service (not part
 * of `npm test`). For PGlite, then PostgreSQL when DATABASE_URL or
 * TEST_DATABASE_URL is set:
 *
 * 1. soak: SOAK_SECONDS (60) of mixed traffic over SOAK_CONNECTIONS (16)
 *    connections across the three collections. Every response must have the
 *    status its request expects (and the body that goes with it); the server's
 *    RSS, sampled every 5 s, must plateau (rule printed with the result).
 *    The rule needs the full 60 s: V8 grows its heap for the first 20–35 s
 *    (PGlite its buffer pool too), so a short debug run can fail it.
 * 2. kill -9 mid-load: POSTs running, SIGKILL at a seeded random moment,
 *    restart on the same data directory / schema: every write acknowledged
 *    (kill phase and soak alike) must be there, as acknowledged.
 * 3. PostgreSQL only: the database connection cut (TCP proxy) for ~5 s under
 *    load: 503 problems while cut, then successes again from the same process.
 *
 * Bounded (~4 min with the defaults), 127.0.0.1 only, every request with a
 * timeout; it kills only the processes it spawned and removes its temporary
 * directory and PostgreSQL schema, also on failure. Servers run on core 0 and
 * this process (the load, the proxy) on core 1 when `taskset` exists.
 * Prints a summary per phase and writes it as JSON to `bench-results/`;
 * exits 0 only when every check passed. SOAK_SEED replays the random choices
 * (the kill moments, the request mix).
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type CutMode, startTcpProxy } from "../test/support/TcpProxy.ts"
import { createSchema } from "./lib/Postgres.ts"
import { apiKey, freePort, hasTaskset, isRunning, memory, npmStartArgs, pidOf, type Server, start, stop } from "./lib/Processes.ts"

// ---------------------------------------------------------------------------
// Settings

const positiveNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`)
  return value
}

const soakSeconds = positiveNumber("SOAK_SECONDS", 60)
const connections = Math.round(positiveNumber("SOAK_CONNECTIONS", 16))
const seed = Math.floor(positiveNumber("SOAK_SEED", 1 + Math.floor(Math.random() * 2 ** 31)))
/** A request unanswered this long is an error (a hang), whatever the phase. */
const requestTimeoutMs = 10_000
/** RSS every 5 s; shorter (debug) runs sample 4 times anyway so the rule has a second half. */
const sampleEveryMs = Math.min(5_000, (soakSeconds * 1_000) / 4)
/** Plateau: the peak of the second half may exceed the midpoint RSS by less than this share of it. */
const plateauTolerance = 0.1
/** Rows each connection keeps per collection: creates and deletes balance around it, so the data set is bounded. */
const rowsPerConnection = 30
const cutMode: CutMode = "refuse"
const cutMs = 5_000
/** How long the service may take to answer a success once the database is back. */
const maxRecoveryMs = 15_000
/** After the first success, this long for the pool to settle; requests sent later must all succeed. */
const settleMs = 1_000

const projectDir = Path.resolve(import.meta.dirname, "..")
const postgresUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL
// The load (and the proxy) take core 1; servers get core 0 (see `start`).
if (hasTaskset && Os.cpus().length > 1) execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })

// ---------------------------------------------------------------------------
// Small helpers

/** mulberry32: a seeded PRNG, so a run's choices can be replayed with SOAK_SEED. */
const seededRandom = (initial: number) => {
  let state = initial | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
type Random = () => number

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))
const pick = <A>(random: Random, items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits

/** Runs `task` on every item, at most `limit` at once. */
const forEachBounded = async <A>(items: ReadonlyArray<A>, limit: number, task: (item: A) => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!)
  }))
}

type Json = Record<string, unknown>

/** Same fields, same values (the resources are flat). */
const sameFields = (a: Json, b: Json) => {
  const canonical = (value: Json) => JSON.stringify(Object.keys(value).sort().map((key) => [key, value[key]]))
  return canonical(a) === canonical(b)
}

// ---------------------------------------------------------------------------
// Cleanup: undone last first, on success, on failure and on Ctrl-C

const cleanups: Array<() => unknown> = []
const runCleanups = async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!()
    } catch (error) {
      console.error(`[soak] cleanup failed: ${String(error)}`)
    }
  }
}
/** Servers not yet exited: stopped by the cleanups, SIGKILLed (by pid) if this process exits first. */
const liveServers = new Set<Server>()
process.once("exit", () => {
  for (const server of liveServers) server.child.kill("SIGKILL")
})
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`[soak] ${signal}: cleaning up`)
    void runCleanups().finally(() => process.exit(128 + (signal === "SIGINT" ? 2 : 15)))
  })
}

const workDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-soak-"))
cleanups.push(() => Fs.rmSync(workDir, { recursive: true, force: true }))

// ---------------------------------------------------------------------------
// The service under test

interface Service {
  readonly server: Server
  readonly url: string
  readonly pid: number
  /** Its stdout (the JSON log lines), in the temporary directory. */
  readonly logFile: string
}

const stopService = (service: Service) => stop(service.server)

/** SIGKILL by pid, and the moment the process is gone. */
const kill9 = (service: Service) =>
  new Promise<void>((resolve) => {
    if (!isRunning(service.server)) return resolve()
    service.server.child.once("exit", () => resolve())
    service.server.child.kill("SIGKILL")
  })

let launches = 0
const launch = async (label: string, env: Record<string, string>): Promise<Service> => {
  const logFile = Path.join(workDir, `${++launches}-${label.replace(/\W+/g, "-")}.log`)
  const fd = Fs.openSync(logFile, "w")
  try {
    const server = await start(npmStartArgs(), env, await freePort(), { stdout: fd })
    liveServers.add(server)
    server.child.once("exit", () => liveServers.delete(server))
    const service = { server, url: server.url, pid: pidOf(server), logFile }
    cleanups.push(() => stopService(service))
    return service
  } finally {
    Fs.closeSync(fd) // the child has its own copy
  }
}

/** The service's warnings and errors (its access lines are Info), by message, for the report. */
const logProblems = (service: Service) => {
  const byMessage: Record<string, number> = {}
  let count = 0
  for (const line of Fs.readFileSync(service.logFile, "utf8").split("\n")) {
    if (!/"level":"(WARN|ERROR|FATAL)"/.test(line)) continue
    count++
    let key: string
    try {
      const entry = JSON.parse(line)
      key = `${entry.level} ${[entry.message].flat().join(" ")}`.slice(0, 300)
    } catch {
      key = line.slice(0, 300)
    }
    byMessage[key] = (byMessage[key] ?? 0) + 1
  }
  return { count, byMessage }
}

// ---------------------------------------------------------------------------
// HTTP: every request with a timeout; the outcome says what happened and when

interface Reply {
  readonly status: number
  readonly contentType: string
  readonly etag: string | null
  readonly link: string | null
  readonly text: string
  readonly json: any
}
type Outcome = {
  readonly sentAt: number
  readonly doneAt: number
} & ({ readonly reply: Reply } | { readonly failure: "timeout" | "socket"; readonly message: string })

const send = async (
  base: string,
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly headers?: Record<string, string> } = {}
): Promise<Outcome> => {
  const headers: Record<string, string> = { ...options.headers }
  if (method !== "GET" && method !== "HEAD") headers["x-api-key"] = apiKey
  if (options.body !== undefined) headers["content-type"] ??= "application/json"
  const sentAt = performance.now()
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: AbortSignal.timeout(requestTimeoutMs)
    })
    const text = await response.text()
    const contentType = response.headers.get("content-type") ?? ""
    let json: unknown
    try {
      json = /json/.test(contentType) && text.length > 0 ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return {
      sentAt,
      doneAt: performance.now(),
      reply: { status: response.status, contentType, etag: response.headers.get("etag"), link: response.headers.get("link"), text, json }
    }
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError"
    const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}` : String(error)
    return { sentAt, doneAt: performance.now(), failure: timedOut ? "timeout" : "socket", message }
  }
}

const describeOutcome = (outcome: Outcome) =>
  "reply" in outcome ? `${outcome.reply.status} ${outcome.reply.text.slice(0, 200)}` : `${outcome.failure}: ${outcome.message}`

const isDatabaseUnavailable = (reply: Reply) =>
  reply.status === 503 && reply.contentType.startsWith("application/problem+json") &&
  reply.json?.type === "/problems/database-unavailable"

// ---------------------------------------------------------------------------
// The resources: valid and invalid bodies, merge patches

const collections = ["animals", "habitats", "zookeepers"] as const
type Collection = (typeof collections)[number]
const species = ["lion", "tiger", "elephant", "monkey", "zebra", "panda"]
const climates = ["tropical", "arid", "temperate", "polar", "aquatic"]

/** Unique across the run, so unique names and emails never collide (a 409 would be an error). */
let serial = 0
const pastDate = (random: Random) => new Date(Date.UTC(2000, 0, 1) + Math.floor(random() * 8_000) * 86_400_000).toISOString().slice(0, 10)

const validBody = (collection: Collection, random: Random, habitats: ReadonlyArray<string>): Json => {
  const n = ++serial
  switch (collection) {
    case "animals":
      return {
        name: `Soak animal ${n}`,
        date_of_birth: pastDate(random),
        species: pick(random, species),
        ...(random() < 0.5 && { nickname: `Nick ${n}` }),
        ...(random() < 0.5 && habitats.length > 0 && { habitat_id: pick(random, habitats) })
      }
    case "habitats":
      return { name: `Soak habitat ${n}`, climate: pick(random, climates), capacity: 1 + Math.floor(random() * 1_000) }
    case "zookeepers":
      return { name: `Keeper ${n}`, email: `keeper.${n}@zoo.example`, hired_on: pastDate(random) }
  }
}

/** Every field wrong at once: a 400 problem, decided before the database. */
const invalidBody: Record<Collection, Json> = {
  animals: { name: "Leo", date_of_birth: "2021-02-30", species: "dragon" },
  habitats: { name: "H", climate: "hot", capacity: 0 },
  zookeepers: { name: "Z", email: "not-an-email", hired_on: "2020-13-01", unknown_field: true }
}

const mergePatch = (collection: Collection, random: Random, habitats: ReadonlyArray<string>): Json => {
  const n = ++serial
  switch (collection) {
    case "animals":
      return random() < 0.5
        ? { nickname: null }
        : { nickname: `Nick ${n}`, habitat_id: random() < 0.5 || habitats.length === 0 ? null : pick(random, habitats) }
    case "habitats":
      return { capacity: 1 + Math.floor(random() * 1_000), climate: pick(random, climates) }
    case "zookeepers":
      return { name: `Keeper ${n}`, email: `Keeper.${n}@Zoo.example` }
  }
}

/** What a merge patch makes of `current` (RFC 7396: `null` removes). */
const applyPatch = (current: Json, patch: Json): Json => {
  const result: Json = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = value
  }
  return result
}

/** The fields a client wrote, without those the server sets. */
const writable = (resource: Json): Json => {
  const { created_at: _c, updated_at: _u, version: _v, ...fields } = resource
  return fields
}

const version = (resource: Json) => resource.version as number
const pathOf = (collection: Collection, random: Random, id?: string) =>
  `/${random() < 0.5 ? "v1" : "v2"}/${collection}${id === undefined ? "" : `/${id}`}`

// ---------------------------------------------------------------------------
// Counting: every request, its latency, and whether it was what we expected

interface Tally {
  requests: number
  errors: number
  readonly byOperation: Record<string, { requests: number; errors: number }>
  readonly errorSamples: Array<string>
  readonly latencies: Array<number>
}
const newTally = (): Tally => ({ requests: 0, errors: 0, byOperation: {}, errorSamples: [], latencies: [] })

const recordError = (tally: Tally, operation: string, what: string) => {
  tally.errors++
  tally.byOperation[operation]!.errors++
  // A few of each operation's, so one failing kind does not hide the others.
  if (tally.errorSamples.length < 20 && tally.byOperation[operation]!.errors <= 3) tally.errorSamples.push(`${operation}: ${what}`)
}

/**
 * Counts `outcome`; an error unless it has the `expected` status and passes
 * `check` (which returns what is wrong, if anything). The reply when it is right.
 */
const expectReply = (
  tally: Tally,
  operation: string,
  outcome: Outcome,
  expected: number,
  check: (reply: Reply) => string | undefined = () => undefined
): Reply | undefined => {
  tally.requests++
  tally.latencies.push(outcome.doneAt - outcome.sentAt)
  const counts = tally.byOperation[operation] ??= { requests: 0, errors: 0 }
  counts.requests++
  if (!("reply" in outcome)) return void recordError(tally, operation, `${outcome.failure}: ${outcome.message}`)
  if (outcome.reply.status !== expected) {
    return void recordError(tally, operation, `expected ${expected}, got ${describeOutcome(outcome)}`)
  }
  const wrong = check(outcome.reply)
  if (wrong !== undefined) return void recordError(tally, operation, wrong)
  return outcome.reply
}

const isProblem = (reply: Reply) =>
  reply.contentType.startsWith("application/problem+json") ? undefined : `content-type ${reply.contentType}, not a problem`

// ---------------------------------------------------------------------------
// Phase 1: the soak

/**
 * What one connection owns: rows only it writes, so it knows what every
 * response must be (a row another connection deleted would make a 404 that
 * is no error). `current` is each row as last acknowledged; `deleted` the ids
 * acknowledged deleted. Rows whose last write went unanswered are forgotten.
 */
interface Owned {
  readonly current: Record<Collection, Map<string, Json>>
  readonly deleted: Array<{ readonly collection: Collection; readonly id: string }>
}
const newOwned = (): Owned => ({ current: { animals: new Map(), habitats: new Map(), zookeepers: new Map() }, deleted: [] })

interface Load {
  readonly url: string
  readonly random: Random
  readonly tally: Tally
  readonly owned: Owned
  /** Habitats made before the load, never deleted: animals may live there without blocking any delete. */
  readonly habitats: ReadonlyArray<string>
}

const ownedRow = (load: Load, collection: Collection) => {
  const rows = load.owned.current[collection]
  if (rows.size === 0) return undefined
  const index = Math.floor(load.random() * rows.size)
  let i = 0
  for (const [id, body] of rows) if (i++ === index) return { id, body }
  return undefined
}

const create = async (load: Load, collection: Collection) => {
  const body = validBody(collection, load.random, load.habitats)
  if (load.random() < 0.3) body.id = globalThis.crypto.randomUUID() // client-chosen ids take another path
  const outcome = await send(load.url, "POST", pathOf(collection, load.random), { body })
  const reply = expectReply(load.tally, "POST valid", outcome, 201, (r) =>
    sameFields(writable(r.json ?? {}), { ...body, id: r.json?.id }) && version(r.json) === 1 ? undefined : `created ${r.text}, sent ${JSON.stringify(body)}`)
  if (reply) load.owned.current[collection].set(reply.json.id, reply.json)
}

const getById = async (load: Load, collection: Collection) => {
  const row = ownedRow(load, collection)
  if (row === undefined) return create(load, collection)
  // Now and then the client's copy is current: a 304 without a body.
  if (load.random() < 0.25) {
    const outcome = await send(load.url, "GET", pathOf(collection, load.random, row.id), { headers: { "if-none-match": `"${version(row.body)}"` } })
    return void expectReply(load.tally, "GET 304", outcome, 304)
  }
  const outcome = await send(load.url, "GET", pathOf(collection, load.random, row.id))
  expectReply(load.tally, "GET by id", outcome, 200, (r) => sameFields(r.json ?? {}, row.body) ? undefined : `got ${r.text}, expected ${JSON.stringify(row.body)}`)
}

/** A page of 1–50, then the next page through its cursor (v2: `next_cursor`; v1: the `Link` header). */
const list = async (load: Load, collection: Collection) => {
  const v2 = load.random() < 0.5
  const first = await send(load.url, "GET", `/${v2 ? "v2" : "v1"}/${collection}?limit=${1 + Math.floor(load.random() * 50)}`)
  const isPage = (r: Reply) => (v2 ? Array.isArray(r.json?.items) : Array.isArray(r.json)) ? undefined : `not a page: ${r.text.slice(0, 200)}`
  const page = expectReply(load.tally, "list page", first, 200, isPage)
  if (page === undefined) return
  const next = v2
    ? (page.json.next_cursor as string | null) === null ? undefined : `/v2/${collection}?limit=${page.json.items.length}&cursor=${page.json.next_cursor}`
    : /<([^>]+)>;\s*rel="next"/.exec(page.link ?? "")?.[1]?.replace(/^https?:\/\/[^/]+/, "")
  if (next !== undefined) expectReply(load.tally, "list next page", await send(load.url, "GET", next), 200, isPage)
}

/** PUT with the current ETag; now and then a stale one, which must be a 412 and change nothing. */
const replace = async (load: Load, collection: Collection) => {
  const row = ownedRow(load, collection)
  if (row === undefined) return create(load, collection)
  const body = validBody(collection, load.random, load.habitats)
  const path = pathOf(collection, load.random, row.id)
  if (load.random() < 0.2) {
    const outcome = await send(load.url, "PUT", path, { body, headers: { "if-match": "\"0\"" } })
    return void expectReply(load.tally, "PUT stale If-Match", outcome, 412, isProblem)
  }
  load.owned.current[collection].delete(row.id) // unknown until answered
  const outcome = await send(load.url, "PUT", path, { body, headers: { "if-match": `"${version(row.body)}"` } })
  const reply = expectReply(load.tally, "PUT If-Match", outcome, 200, (r) =>
    sameFields(writable(r.json ?? {}), { ...body, id: row.id }) && version(r.json) === nextVersion(row.body, { ...body, id: row.id })
      ? undefined
      : `replaced ${r.text}, sent ${JSON.stringify(body)}`)
  if (reply) load.owned.current[collection].set(row.id, reply.json)
}

/** A write that changes no field is no write: same version; any change bumps it by one. */
const nextVersion = (before: Json, after: Json) => version(before) + (sameFields(writable(before), after) ? 0 : 1)

const patch = async (load: Load, collection: Collection) => {
  const row = ownedRow(load, collection)
  if (row === undefined) return create(load, collection)
  const changes = mergePatch(collection, load.random, load.habitats)
  const expected = applyPatch(writable(row.body), changes)
  load.owned.current[collection].delete(row.id)
  const outcome = await send(load.url, "PATCH", pathOf(collection, load.random, row.id), {
    body: changes,
    headers: { "content-type": "application/merge-patch+json", "if-match": `"${version(row.body)}"` }
  })
  const reply = expectReply(load.tally, "PATCH merge", outcome, 200, (r) =>
    sameFields(writable(r.json ?? {}), expected) && version(r.json) === nextVersion(row.body, expected)
      ? undefined
      : `patched ${r.text}, expected ${JSON.stringify(expected)}`)
  if (reply) load.owned.current[collection].set(row.id, reply.json)
}

const remove = async (load: Load, collection: Collection) => {
  const row = ownedRow(load, collection)
  if (row === undefined) return create(load, collection)
  load.owned.current[collection].delete(row.id)
  const outcome = await send(load.url, "DELETE", pathOf(collection, load.random, row.id), { headers: { "if-match": `"${version(row.body)}"` } })
  if (expectReply(load.tally, "DELETE If-Match", outcome, 204)) load.owned.deleted.push({ collection, id: row.id })
}

const createInvalid = async (load: Load, collection: Collection) => {
  const outcome = await send(load.url, "POST", pathOf(collection, load.random), { body: invalidBody[collection] })
  expectReply(load.tally, "POST invalid", outcome, 400, isProblem)
}

/** The mix, by weight. Creates and deletes keep each connection near `rowsPerConnection` rows per collection. */
const operations: ReadonlyArray<readonly [number, (load: Load, collection: Collection) => Promise<void>]> = [
  [25, getById],
  [15, list],
  [12, (load, collection) => load.owned.current[collection].size < rowsPerConnection ? create(load, collection) : remove(load, collection)],
  [12, replace],
  [12, patch],
  [10, (load, collection) => load.owned.current[collection].size > rowsPerConnection / 2 ? remove(load, collection) : create(load, collection)],
  [10, createInvalid]
]
const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0)

const nextOperation = (random: Random) => {
  let roll = random() * totalWeight
  for (const [weight, operation] of operations) {
    if ((roll -= weight) < 0) return operation
  }
  return operations[0]![1]
}

interface RssSample {
  readonly seconds: number
  readonly rssMiB: number
}

/** The plateau rule, applied to the samples; `passed` false when RSS kept growing. */
const plateau = (samples: ReadonlyArray<RssSample>) => {
  const midpoint = samples[Math.floor((samples.length - 1) / 2)]!
  const secondHalf = samples.filter((sample) => sample.seconds >= midpoint.seconds)
  const peak = Math.max(...secondHalf.map((sample) => sample.rssMiB))
  const growthMiB = peak - midpoint.rssMiB
  const allowedMiB = round(plateauTolerance * midpoint.rssMiB, 1)
  return {
    rule: `peak RSS over the second half (t >= ${midpoint.seconds} s) minus RSS at t = ${midpoint.seconds} s must be < ${plateauTolerance * 100} % of RSS at t = ${midpoint.seconds} s`,
    midpointMiB: midpoint.rssMiB,
    peakMiB: peak,
    growthMiB,
    allowedMiB,
    passed: growthMiB < allowedMiB
  }
}

const summarizeTally = (tally: Tally, seconds: number) => {
  const sorted = [...tally.latencies].sort((a, b) => a - b)
  return {
    requests: tally.requests,
    requestsPerSecond: Math.round(tally.requests / seconds),
    errors: tally.errors,
    p50Ms: round(percentile(sorted, 50), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted.at(-1) ?? 0, 1),
    byOperation: tally.byOperation,
    errorSamples: tally.errorSamples
  }
}

/** The issue's bounds for the default database: RSS right after start, and high-water through the soak (MB = 10^6 bytes). */
const pgliteLimitsMB = { afterStart: 250, highWater: 350 }
const toMB = (mib: number) => Math.round(mib * 1.048576)

const soak = async (service: Service, random: Random, backend: string) => {
  const rssAfterStartMiB = memory(service.pid).rssMiB
  const setup = newTally()
  const habitats: Array<string> = []
  for (let i = 0; i < 3; i++) {
    // The largest capacity: the animals the load keeps (at most connections × rowsPerConnection)
    // never fill these, so a 409 Habitat full is an error, not the luck of a small capacity drawn.
    const body = { ...validBody("habitats", random, []), capacity: 1_000 }
    const reply = expectReply(setup, "POST valid", await send(service.url, "POST", "/v2/habitats", { body }), 201)
    if (reply) habitats.push(reply.json.id)
  }
  const tally = newTally()
  const owned = Array.from({ length: connections }, newOwned)
  const samples: Array<RssSample> = []
  const startedAt = performance.now()
  const endAt = startedAt + soakSeconds * 1_000

  // One sample at each multiple of the interval, the last at the end of the load.
  const sampler = (async () => {
    for (let i = 0; i * sampleEveryMs <= soakSeconds * 1_000; i++) {
      await sleep(startedAt + i * sampleEveryMs - performance.now())
      samples.push({ seconds: round((i * sampleEveryMs) / 1_000, 1), rssMiB: memory(service.pid).rssMiB })
    }
  })()
  await Promise.all(owned.map(async (rows) => {
    const load: Load = { url: service.url, random, tally, owned: rows, habitats }
    while (performance.now() < endAt) await nextOperation(random)(load, pick(random, collections))
  }))
  await sampler
  const elapsedSeconds = (performance.now() - startedAt) / 1_000
  const { hwmMiB } = memory(service.pid)
  const traffic = summarizeTally(tally, elapsedSeconds)
  const rss = plateau(samples)
  return {
    result: {
      startupMs: Math.round(service.server.startupMs),
      seconds: round(elapsedSeconds, 1),
      connections,
      setupErrors: setup.errors,
      ...traffic,
      rssAfterStartMiB,
      rssSamples: samples,
      rssHighWaterMiB: hwmMiB,
      plateau: rss,
      serviceLog: logProblems(service),
      checks: [
        check("no errors", "every response has the status (and body) its request expects; no timeouts, no socket errors", traffic.errors + setup.errors === 0, `${traffic.errors + setup.errors} errors`),
        check("RSS plateau", rss.rule, rss.passed, `${rss.growthMiB >= 0 ? "+" : ""}${rss.growthMiB} MiB (allowed < ${rss.allowedMiB} MiB)`),
        ...(backend === "PGlite"
          ? [
            check(
              "PGlite RSS after start",
              `the service's RSS right after its first 200 ≤ ${pgliteLimitsMB.afterStart} MB`,
              toMB(rssAfterStartMiB) <= pgliteLimitsMB.afterStart,
              `${toMB(rssAfterStartMiB)} MB`
            ),
            check(
              "PGlite RSS high-water",
              `the service's RSS high-water (VmHWM), start and soak, ≤ ${pgliteLimitsMB.highWater} MB`,
              toMB(hwmMiB) <= pgliteLimitsMB.highWater,
              `${toMB(hwmMiB)} MB`
            )
          ]
          : [])
      ]
    },
    owned
  }
}

// ---------------------------------------------------------------------------
// Phase 2: kill -9 mid-load, restart, every acknowledged write there

interface Check {
  readonly name: string
  readonly rule: string
  readonly passed: boolean
  readonly value: string
}
const check = (name: string, rule: string, passed: boolean, value: string): Check => ({ name, rule, passed, value })

/** GETs each expectation on the restarted service: present as acknowledged, or (body `undefined`) gone. */
const verifyStored = async (url: string, expected: ReadonlyArray<{ readonly collection: Collection; readonly id: string; readonly body: Json | undefined }>) => {
  const result = { checked: 0, missing: 0, changed: 0, resurrected: 0, errors: 0, samples: [] as Array<string> }
  const note = (what: string) => {
    if (result.samples.length < 5) result.samples.push(what)
  }
  await forEachBounded(expected, connections, async ({ collection, id, body }) => {
    const outcome = await send(url, "GET", `/v2/${collection}/${id}`)
    result.checked++
    if (!("reply" in outcome) || (outcome.reply.status !== 200 && outcome.reply.status !== 404)) {
      result.errors++
      return note(`${collection}/${id}: ${describeOutcome(outcome)}`)
    }
    const found = outcome.reply.status === 200
    if (body === undefined) {
      if (found) {
        result.resurrected++
        note(`${collection}/${id} was deleted, is back: ${outcome.reply.text}`)
      }
    } else if (!found) {
      result.missing++
      note(`${collection}/${id} acknowledged, now 404`)
    } else if (!sameFields(outcome.reply.json, body)) {
      result.changed++
      note(`${collection}/${id}: stored ${outcome.reply.text}, acknowledged ${JSON.stringify(body)}`)
    }
  })
  return result
}

const killAndRestart = async (
  service: Service,
  env: Record<string, string>,
  label: string,
  killAfterMs: number,
  random: Random,
  soakRows: ReadonlyArray<Owned>
) => {
  const acknowledged: Array<{ collection: Collection; id: string; body: Json }> = []
  /** Sent and not answered when the process died: either outcome is correct. */
  const unanswered = new Map<string, Collection>()
  const tally = newTally()
  let killing = false
  const startedAt = performance.now()

  const writer = async () => {
    while (!killing) {
      const collection = pick(random, collections)
      const id = globalThis.crypto.randomUUID()
      unanswered.set(id, collection)
      const outcome = await send(service.url, "POST", `/v2/${collection}`, { body: { ...validBody(collection, random, []), id } })
      if ("reply" in outcome && outcome.reply.status === 201) {
        unanswered.delete(id)
        acknowledged.push({ collection, id, body: outcome.reply.json })
      } else if (!killing || "reply" in outcome) {
        // Before the kill every POST must succeed; after it, only a dropped connection is expected.
        unanswered.delete(id)
        expectReply(tally, "POST before the kill", outcome, 201)
      }
    }
  }
  const writers = Array.from({ length: connections }, writer)
  await sleep(killAfterMs)
  killing = true
  const killedAt = performance.now()
  await kill9(service)
  await Promise.all(writers)
  const exitSignal = service.server.child.signalCode

  const restarted = await launch(`${label}-restarted`, env)
  const downtimeMs = performance.now() - killedAt
  const acked = await verifyStored(restarted.url, acknowledged)
  // The soak's rows too: its updates and deletes were acknowledged writes as well.
  const soakExpected = soakRows.flatMap((rows) => [
    ...collections.flatMap((collection) => [...rows.current[collection]].map(([id, body]) => ({ collection, id, body }))),
    ...rows.deleted.map(({ collection, id }) => ({ collection, id, body: undefined }))
  ])
  const soakVerified = await verifyStored(restarted.url, soakExpected)
  let inFlightFound = 0
  await forEachBounded([...unanswered], connections, async ([id, collection]) => {
    const outcome = await send(restarted.url, "GET", `/v2/${collection}/${id}`)
    if ("reply" in outcome && outcome.reply.status === 200) inFlightFound++
  })

  return {
    restarted,
    result: {
      killedAfterMs: Math.round(killedAt - startedAt),
      exitSignal,
      acknowledged: acknowledged.length,
      inFlightAtKill: unanswered.size,
      inFlightFoundAfterRestart: inFlightFound,
      restartMs: Math.round(restarted.server.startupMs),
      killToServingMs: Math.round(downtimeMs),
      acknowledgedCheck: acked,
      soakRowsCheck: { current: soakExpected.filter((row) => row.body !== undefined).length, deleted: soakExpected.filter((row) => row.body === undefined).length, ...soakVerified },
      errorsBeforeKill: tally.errors,
      errorSamples: tally.errorSamples,
      serviceLog: logProblems(restarted),
      checks: [
        check("killed by SIGKILL", "the process ended by the signal, no shutdown code ran", exitSignal === "SIGKILL", String(exitSignal)),
        check("writes before the kill", "every POST answered before the kill is a 201", tally.errors === 0, `${tally.errors} errors`),
        check("acknowledged POSTs present", "after the restart, GET of every id that got a 201 is 200 with the acknowledged body", acknowledged.length > 0 && acked.missing + acked.changed + acked.errors === 0, `${acknowledged.length} acknowledged, ${acked.missing} missing, ${acked.changed} changed, ${acked.errors} errors`),
        check("soak writes present", "after the restart, the soak's rows are as last acknowledged (PUT/PATCH), and its deletes stay deleted", soakVerified.missing + soakVerified.changed + soakVerified.resurrected + soakVerified.errors === 0, `${soakVerified.checked} checked, ${soakVerified.missing} missing, ${soakVerified.changed} changed, ${soakVerified.resurrected} resurrected, ${soakVerified.errors} errors`)
      ]
    }
  }
}

// ---------------------------------------------------------------------------
// Phase 3: PostgreSQL connection cut under load, recovery without restart

interface CutRecord {
  readonly sentAt: number
  readonly doneAt: number
  readonly kind: "success" | "unavailable" | "other 5xx" | "unexpected" | "timeout" | "socket"
  readonly detail: string
}

const connectionCut = async (schemaUrl: (port?: number) => string, random: Random) => {
  const target = new URL(schemaUrl())
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  cleanups.push(() => proxy.close())
  const service = await launch("postgres-cut", { DATABASE_URL: schemaUrl(proxy.port) })
  const ids: Array<string> = []
  for (let i = 0; i < 20; i++) {
    const outcome = await send(service.url, "POST", "/v2/animals", { body: validBody("animals", random, []) })
    if ("reply" in outcome && outcome.reply.status === 201) ids.push(outcome.reply.json.id)
  }
  if (ids.length === 0) throw new Error("connection cut: could not create the animals to read")

  const records: Array<CutRecord> = []
  const request = async () => {
    const roll = random()
    const [expected, outcome] = roll < 0.4
      ? [200, await send(service.url, "GET", `/v2/animals/${pick(random, ids)}`)]
      : roll < 0.7
      ? [200, await send(service.url, "GET", "/v2/animals?limit=10")]
      : [201, await send(service.url, "POST", "/v2/animals", { body: validBody("animals", random, []) })]
    const kind: CutRecord["kind"] = !("reply" in outcome)
      ? outcome.failure
      : outcome.reply.status === expected
      ? "success"
      : isDatabaseUnavailable(outcome.reply)
      ? "unavailable"
      : outcome.reply.status >= 500
      ? "other 5xx"
      : "unexpected"
    records.push({ sentAt: outcome.sentAt, doneAt: outcome.doneAt, kind, detail: kind === "success" ? "" : describeOutcome(outcome) })
  }
  let stopped = false
  const workers = Array.from({ length: connections }, async () => {
    while (!stopped) await request()
  })

  const startedAt = performance.now()
  await sleep(2_000)
  const cutAt = performance.now()
  await proxy.cut(cutMode)
  await sleep(cutMs / 2)
  const liveness = await send(service.url, "GET", "/healthz")
  await sleep(cutAt + cutMs - performance.now())
  const acceptedBeforeRestore = proxy.accepted()
  const restoredAt = performance.now()
  await proxy.restore()
  let recoveredAt: number | undefined
  while (recoveredAt === undefined && performance.now() - restoredAt < maxRecoveryMs) {
    await sleep(50)
    recoveredAt = records.find((record) => record.kind === "success" && record.doneAt >= restoredAt)?.doneAt
  }
  if (recoveredAt !== undefined) await sleep(settleMs + 2_000)
  stopped = true
  await Promise.all(workers)
  const stoppedAt = performance.now()

  // After the load: the same process serves, over new connections to the database.
  const ready = await send(service.url, "GET", "/readyz")
  const sameProcess = isRunning(service.server) && pidOf(service.server) === service.pid
  const reconnected = proxy.accepted() - acceptedBeforeRestore

  const count = (rows: ReadonlyArray<CutRecord>, kind: CutRecord["kind"]) => rows.filter((row) => row.kind === kind).length
  const before = records.filter((record) => record.doneAt < cutAt)
  const during = records.filter((record) => record.sentAt >= cutAt && record.doneAt <= restoredAt)
  const afterSettled = recoveredAt === undefined ? [] : records.filter((record) => record.sentAt >= recoveredAt + settleMs)
  const broken = records.filter((record) => record.kind === "other 5xx" || record.kind === "unexpected" || record.kind === "timeout" || record.kind === "socket")
  const first503 = records.filter((record) => record.kind === "unavailable" && record.doneAt >= cutAt).map((record) => record.doneAt)
  const slowestDuringCut = Math.max(0, ...records.filter((record) => record.doneAt >= cutAt && record.sentAt <= restoredAt).map((record) => record.doneAt - record.sentAt))
  const timeTo503Ms = first503.length > 0 ? Math.round(Math.min(...first503) - cutAt) : undefined
  const restoreToSuccessMs = recoveredAt === undefined ? undefined : Math.round(recoveredAt - restoredAt)
  const duringOther = during.length - count(during, "unavailable")

  await stopService(service)
  await proxy.close()
  return {
    result: {
      mode: cutMode,
      cutAfterMs: Math.round(cutAt - startedAt),
      cutForMs: Math.round(restoredAt - cutAt),
      loadForMs: Math.round(stoppedAt - startedAt),
      requests: records.length,
      beforeCut: { requests: before.length, successes: count(before, "success") },
      duringCut: { requests: during.length, unavailable503: count(during, "unavailable"), other: duringOther, samples: during.filter((r) => r.kind !== "unavailable").slice(0, 5).map((r) => r.detail) },
      timeToFirst503Ms: timeTo503Ms,
      slowestResponseAroundCutMs: Math.round(slowestDuringCut),
      restoreToFirstSuccessMs: restoreToSuccessMs,
      afterRecovery: { requests: afterSettled.length, successes: count(afterSettled, "success"), unavailable503: count(afterSettled, "unavailable") },
      livenessDuringCut: describeOutcome(liveness),
      readyAfter: describeOutcome(ready),
      sameProcess,
      pid: service.pid,
      proxyConnectionsAfterRestore: reconnected,
      brokenSamples: broken.slice(0, 5).map((r) => `${r.kind}: ${r.detail}`),
      serviceLog: logProblems(service),
      checks: [
        check("served before the cut", "every request answered before the cut succeeded", before.length > 0 && count(before, "success") === before.length, `${count(before, "success")}/${before.length}`),
        check("503 problems during the cut", "every request sent and answered during the cut is a 503 application/problem+json /problems/database-unavailable", during.length > 0 && duringOther === 0, `${count(during, "unavailable")} × 503, ${duringOther} other`),
        check("no other 5xx, no hangs", `no 5xx but those 503 problems, no unexpected status, no timeout (${requestTimeoutMs / 1_000} s) or socket error, before, during or after the cut`, broken.length === 0, `${broken.length} (${count(records, "other 5xx")} other 5xx, ${count(records, "unexpected")} unexpected, ${count(records, "timeout")} timeouts, ${count(records, "socket")} socket errors)`),
        check("liveness during the cut", "GET /healthz answers 200 while the database is cut", "reply" in liveness && liveness.reply.status === 200, describeOutcome(liveness).slice(0, 60)),
        check("recovery", `a success within ${maxRecoveryMs / 1_000} s of the restore; every request sent ${settleMs / 1_000} s after that first success succeeds; /readyz 200`, recoveredAt !== undefined && afterSettled.length > 0 && count(afterSettled, "success") === afterSettled.length && "reply" in ready && ready.reply.status === 200, restoreToSuccessMs === undefined ? "no success" : `first success ${restoreToSuccessMs} ms after the restore; then ${count(afterSettled, "success")}/${afterSettled.length} successes`),
        check("without restart", "the same process (pid) serves after the restore, over new database connections", sameProcess && reconnected > 0, `pid ${service.pid} ${sameProcess ? "still serving" : "gone"}, ${reconnected} new connections`)
      ]
    }
  }
}

// ---------------------------------------------------------------------------
// The run

interface PhaseReport {
  readonly backend: string
  readonly phase: string
  readonly result: { readonly checks: ReadonlyArray<Check> } & Json
}

const progress = (line: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`)

/** Soak, then kill -9 and restart, on one backend. */
const runBackend = async (backend: string, env: Record<string, string>, killAfterMs: number, random: Random): Promise<Array<PhaseReport>> => {
  progress(`${backend}: starting`)
  const service = await launch(backend, env)
  progress(`${backend}: serving after ${Math.round(service.server.startupMs)} ms, RSS ${memory(service.pid).rssMiB} MiB; soak for ${soakSeconds} s over ${connections} connections`)
  const soaked = await soak(service, random, backend)
  progress(`${backend}: soak done (${soaked.result.requests} requests, ${soaked.result.errors} errors); kill -9 after ${killAfterMs} ms of POSTs`)
  const killed = await killAndRestart(service, env, backend, killAfterMs, random, soaked.owned)
  progress(`${backend}: restarted in ${killed.result.restartMs} ms; ${killed.result.acknowledged} acknowledged, ${killed.result.acknowledgedCheck.missing} missing`)
  await stopService(killed.restarted)
  return [
    { backend, phase: `soak (${soakSeconds} s, ${connections} connections)`, result: soaked.result },
    { backend, phase: "kill -9 mid-load, restart", result: killed.result }
  ]
}

const formatReport = (report: PhaseReport): string => {
  const r = report.result as any
  const passed = report.result.checks.every((c) => c.passed)
  const lines = [`== ${report.backend}: ${report.phase} == ${passed ? "PASS" : "FAIL"}`]
  if (r.rssSamples !== undefined) {
    lines.push(`  started (serving) in ${r.startupMs} ms; RSS right after start ${r.rssAfterStartMiB} MiB, high-water ${r.rssHighWaterMiB} MiB`)
    lines.push(`  ${r.requests} requests in ${r.seconds} s (${r.requestsPerSecond}/s), ${r.errors} errors; latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`)
    lines.push(`  by operation: ${Object.entries(r.byOperation as Record<string, { requests: number; errors: number }>).map(([name, c]) => `${name} ${c.requests}${c.errors > 0 ? ` (${c.errors} errors)` : ""}`).join(", ")}`)
    const samples = r.rssSamples as Array<RssSample>
    const top = Math.max(...samples.map((s) => s.rssMiB))
    lines.push(`  RSS curve (MiB; high-water ${r.rssHighWaterMiB}):`)
    for (const sample of samples) {
      lines.push(`    ${String(sample.seconds).padStart(5)} s ${String(sample.rssMiB).padStart(5)} ${"#".repeat(Math.round((sample.rssMiB / top) * 40))}`)
    }
  } else if (r.acknowledged !== undefined) {
    lines.push(`  SIGKILL after ${r.killedAfterMs} ms of POSTs: ${r.acknowledged} acknowledged, ${r.inFlightAtKill} in flight (${r.inFlightFoundAfterRestart} of those stored: either is fine)`)
    lines.push(`  restart: serving ${r.restartMs} ms after spawn, ${r.killToServingMs} ms after the kill`)
    lines.push(`  acknowledged POSTs: ${r.acknowledgedCheck.checked} checked, ${r.acknowledgedCheck.missing} missing, ${r.acknowledgedCheck.changed} changed`)
    lines.push(`  soak rows: ${r.soakRowsCheck.current} current + ${r.soakRowsCheck.deleted} deleted checked, ${r.soakRowsCheck.missing} missing, ${r.soakRowsCheck.changed} changed, ${r.soakRowsCheck.resurrected} resurrected`)
  } else if (r.mode !== undefined) {
    lines.push(`  cut (${r.mode}) ${r.cutAfterMs} ms into the load, for ${r.cutForMs} ms; ${r.requests} requests in all`)
    lines.push(`  cut -> first 503: ${r.timeToFirst503Ms ?? "never"} ms; during the cut: ${r.duringCut.unavailable503} × 503 problem, ${r.duringCut.other} other; slowest response around the cut ${r.slowestResponseAroundCutMs} ms`)
    lines.push(`  restore -> first success: ${r.restoreToFirstSuccessMs ?? "never"} ms; after recovery: ${r.afterRecovery.successes}/${r.afterRecovery.requests} successes; /readyz ${r.readyAfter.slice(0, 3)}; pid ${r.pid} ${r.sameProcess ? "same process" : "GONE"}, ${r.proxyConnectionsAfterRestore} new database connections`)
  }
  for (const c of report.result.checks) lines.push(`  [${c.passed ? "pass" : "FAIL"}] ${c.name}: ${c.value}\n         rule: ${c.rule}`)
  if (!passed) {
    for (const sample of [...(r.errorSamples ?? []), ...(r.brokenSamples ?? []), ...(r.duringCut?.samples ?? []), ...(r.acknowledgedCheck?.samples ?? []), ...(r.soakRowsCheck?.samples ?? [])]) {
      lines.push(`  ! ${sample}`)
    }
  }
  if (r.serviceLog?.count > 0) {
    lines.push(`  service log: ${r.serviceLog.count} warning/error lines:`)
    for (const [message, n] of Object.entries(r.serviceLog.byMessage as Record<string, number>)) lines.push(`    ${n} × ${message}`)
  }
  return lines.join("\n")
}

const main = async () => {
  const random = seededRandom(seed)
  // Drawn first, so the kill moments depend on the seed alone, not on how the load interleaved.
  const killAfterMs = { pglite: 1_000 + Math.round(random() * 3_000), postgres: 1_000 + Math.round(random() * 3_000) }
  progress(`seed ${seed} (SOAK_SEED=${seed} replays it); pinned: ${hasTaskset}; PostgreSQL: ${postgresUrl === undefined ? "no (set DATABASE_URL or TEST_DATABASE_URL)" : "yes"}`)
  const reports: Array<PhaseReport> = []
  const failures: Array<string> = []
  const attempt = async (what: string, phase: () => Promise<Array<PhaseReport>>) => {
    try {
      reports.push(...await phase())
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
      progress(`${what} failed: ${String(error)}`)
    }
  }
  try {
    await attempt("PGlite", () => runBackend("PGlite", { DATA_DIR: Path.join(workDir, "pglite-data") }, killAfterMs.pglite, random))
    if (postgresUrl !== undefined) {
      // One schema for the PostgreSQL phases: the cut phase's server reuses the soaked one.
      let schemaUrl: ((port?: number) => string) | undefined
      await attempt("PostgreSQL schema", async () => {
        const created = await createSchema(postgresUrl, `soak_${seed.toString(36)}`)
        cleanups.push(created.drop)
        schemaUrl = created.url
        return []
      })
      if (schemaUrl !== undefined) {
        const inSchema = schemaUrl
        await attempt("PostgreSQL", () => runBackend("PostgreSQL", { DATABASE_URL: inSchema() }, killAfterMs.postgres, random))
        await attempt("PostgreSQL connection cut", async () => {
          progress(`PostgreSQL: connection cut (${cutMode}) for ${cutMs} ms under load`)
          const cut = await connectionCut(inSchema, random)
          return [{ backend: "PostgreSQL", phase: `connection cut (${cutMode}, ${cutMs / 1_000} s) under load`, result: cut.result }]
        })
      }
    }
  } finally {
    await runCleanups()
  }

  const passed = failures.length === 0 && reports.every((report) => report.result.checks.every((c) => c.passed))
  const summary = [
    "",
    ...reports.map(formatReport),
    ...failures.map((failure) => `== FAILED TO RUN: ${failure}`),
    postgresUrl === undefined ? "== PostgreSQL: skipped (set DATABASE_URL or TEST_DATABASE_URL)" : "",
    `seed ${seed}; ${passed ? "ALL CHECKS PASSED" : "SOME CHECKS FAILED"}`
  ].filter((line) => line !== "")
  process.stdout.write(`${summary.join("\n\n")}\n`)

  Fs.mkdirSync(Path.join(projectDir, "bench-results"), { recursive: true })
  const file = Path.join(projectDir, "bench-results", `soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`)
  const settings = { soakSeconds, connections, requestTimeoutMs, sampleEveryMs, plateauTolerance, rowsPerConnection, cutMode, cutMs, maxRecoveryMs, settleMs, killAfterMs, pinned: hasTaskset }
  Fs.writeFileSync(file, JSON.stringify({ seed, passed, settings, phases: reports, failures, postgres: postgresUrl !== undefined }, null, 2))
  process.stdout.write(`written ${Path.relative(projectDir, file)}\n`)
  process.exitCode = passed ? 0 : 1
}

await main()
