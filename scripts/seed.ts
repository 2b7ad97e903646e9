/**
 * `npm run db:seed`: demo habitats, animals and zookeepers, and who cares for
 * whom, in the configured database.
 *
 * Idempotent on natural keys: a habitat is found by its name, a zookeeper by
 * e-mail, an animal by name and date of birth; what exists is kept (with
 * whatever id it has), the rest is created, and care assignments are made
 * once. None of the demo names or e-mails is one the README's walkthrough or
 * the docs page's examples use, so either may run first.
 *
 * The rows go through the API itself, so every rule of the service holds:
 * in this process over the configured database, or, when a running server
 * holds the embedded database's directory, through that server (with its key
 * in `ZOO_KEY` or `API_KEYS`). Prints one line: what it did, or why it could
 * not.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted, References, Scope } from "effect"
import { Digest } from "effect/crypto"
import type { SqlClient } from "effect/sql"
import * as WriteAccessLive from "../src/Auth/WriteAccessLive.ts"
import * as Config from "../src/Config.ts"
import * as EnvFile from "../src/EnvFile.ts"
import { SqlRepositories } from "../src/Repositories.ts"
import * as Database from "../src/Repo/Database.ts"
import { makeWebHandler } from "../src/web.ts"

const demoHabitats = [
  { name: "Savanna", climate: "arid", capacity: 12 },
  { name: "Bamboo Forest", climate: "temperate", capacity: 4 },
  { name: "Rainforest", climate: "tropical", capacity: 20 }
] as const

const demoAnimals = [
  { name: "Leo the Lion", date_of_birth: "2016-04-12", species: "lion", nickname: "Leo", habitat: "Savanna" },
  { name: "Shere Khan", date_of_birth: "2014-09-01", species: "tiger", habitat: "Rainforest" },
  { name: "Dumbo Elephant", date_of_birth: "2010-01-30", species: "elephant", nickname: "Dumbo", habitat: "Savanna" },
  { name: "Curious George", date_of_birth: "2019-07-04", species: "monkey", nickname: "George", habitat: "Rainforest" },
  { name: "Marty Zebra", date_of_birth: "2018-03-15", species: "zebra", nickname: "Marty", habitat: "Savanna" },
  { name: "Po the Panda", date_of_birth: "2020-11-11", species: "panda", nickname: "Po", habitat: "Bamboo Forest" }
] as const

const demoZookeepers = [
  { name: "Sam Keeper", email: "sam.keeper@zoo.example", hired_on: "2015-03-01" },
  { name: "Kim Warden", email: "kim.warden@zoo.example", hired_on: "2019-09-16" }
] as const

/** Who cares for whom: Sam for the savanna, Kim for the rest. */
const keeperOf = (animal: (typeof demoAnimals)[number]) => animal.habitat === "Savanna" ? demoZookeepers[0] : demoZookeepers[1]

/** A failure the person running the seed can act on: printed as one line, exit 1. */
class SeedFailed extends Error {}

interface Answer {
  readonly status: number
  readonly body: any
}

/** One request to the API, with the key writes need. */
type Send = (method: string, path: string, body?: unknown) => Promise<Answer>

const sender = (fetchApi: (request: Request) => Promise<Response>, baseUrl: string, key: string): Send =>
async (method, path, body) => {
  const response = await fetchApi(
    new Request(`${baseUrl}${path}`, {
      method,
      headers: { "x-api-key": key, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) })
    })
  )
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const expect = (answer: Answer, statuses: ReadonlyArray<number>, what: string) => {
  if (!statuses.includes(answer.status)) {
    throw new SeedFailed(`${what}: ${answer.status} ${answer.body?.detail ?? answer.body?.title ?? ""}`.trim())
  }
  return answer.body
}

/** Every row of a list, page after page (the demo data is small). */
const listAll = async (send: Send, path: string, query: Record<string, string>) => {
  const rows: Array<any> = []
  let cursor: string | null = null
  do {
    const search = new URLSearchParams({ ...query, limit: "100", ...(cursor !== null && { cursor }) })
    const page = expect(await send("GET", `${path}?${search}`), [200], `GET ${path}`)
    rows.push(...page.items)
    cursor = page.next_cursor
  } while (cursor !== null)
  return rows
}

/** The id of the row `find` picks, creating it with `body` when there is none; and whether it was created. */
const ensure = async (send: Send, path: string, existing: ReadonlyArray<any>, find: (row: any) => boolean, body: unknown) => {
  const found = existing.find(find)
  if (found !== undefined) return { id: found.id as string, created: false }
  const created = expect(await send("POST", path, body), [201], `POST ${path}`)
  return { id: created.id as string, created: true }
}

const seedWith = async (send: Send) => {
  const counts = { habitats: 0, animals: 0, zookeepers: 0 }
  const habitatIds = new Map<string, string>()
  for (const habitat of demoHabitats) {
    const existing = await listAll(send, "/v2/habitats", { name: habitat.name })
    const { created, id } = await ensure(send, "/v2/habitats", existing, (row) => row.name === habitat.name, habitat)
    habitatIds.set(habitat.name, id)
    if (created) counts.habitats++
  }
  const animalIds = new Map<string, string>()
  for (const { habitat, ...animal } of demoAnimals) {
    const existing = await listAll(send, "/v2/animals", { name: animal.name })
    const { created, id } = await ensure(
      send,
      "/v2/animals",
      existing,
      (row) => row.name === animal.name && row.date_of_birth === animal.date_of_birth,
      { ...animal, habitat_id: habitatIds.get(habitat) }
    )
    animalIds.set(animal.name, id)
    if (created) counts.animals++
  }
  // E-mails are unique in any letter case, whoever holds them: look at every zookeeper.
  const zookeepers = await listAll(send, "/v2/zookeepers", {})
  const keeperIds = new Map<string, string>()
  for (const keeper of demoZookeepers) {
    const { created, id } = await ensure(
      send,
      "/v2/zookeepers",
      zookeepers,
      (row) => row.email.toLowerCase() === keeper.email,
      keeper
    )
    keeperIds.set(keeper.email, id)
    if (created) counts.zookeepers++
  }
  for (const animal of demoAnimals) {
    const path = `/v2/zookeepers/${keeperIds.get(keeperOf(animal).email)}/animals/${animalIds.get(animal.name)}`
    expect(await send("PUT", path), [204], `PUT ${path}`)
  }
  const kept = (created: number, of: number) => `${created} new, ${of - created} already there`
  return `Seeded habitats (${kept(counts.habitats, demoHabitats.length)}), animals (${kept(counts.animals, demoAnimals.length)}), ` +
    `zookeepers (${kept(counts.zookeepers, demoZookeepers.length)}) and ${demoAnimals.length} care assignments`
}

/** In this process: the app over the configured database, with a key made for this run. */
const seedHere = (database: Layer.Layer<SqlClient.SqlClient>, config: Config.AppConfig) =>
  Effect.gen(function*() {
    const key = `seed-${globalThis.crypto.randomUUID()}`
    const writeAccess = WriteAccessLive.layer({ apiKeys: [Redacted.make(key)], tokens: Option.none() }).pipe(
      Layer.provide(Digest.layerWebCrypto)
    )
    const { dispose, handler } = makeWebHandler(SqlRepositories.pipe(Layer.provide(database)), writeAccess)
    yield* Effect.addFinalizer(() => Effect.promise(() => dispose()))
    const where = Option.isSome(config.databaseUrl) ? "PostgreSQL (DATABASE_URL)" : config.dataDir
    // The app's access lines would bury the one line this prints; warnings and errors still show.
    const quiet = Context.make(References.MinimumLogLevel, "Warn")
    const send = sender((request) => handler(request, quiet), "http://seed.local", key)
    return `${yield* Effect.promise(() => seedWith(send))} in ${where}`
  })

/** Through the server that holds the data directory, with its key; or one line saying what to do. */
const seedThroughServer = (config: Config.AppConfig, locked: { readonly message: string }) =>
  Effect.gen(function*() {
    const key = process.env.ZOO_KEY ?? Option.getOrUndefined(Option.map(config.apiKeys, Redacted.value))?.split(",")[0]?.trim()
    if (key === undefined || key === "" || key.startsWith("sha256:")) {
      return yield* Effect.fail(
        new SeedFailed(
          `${locked.message}: stop that server and run npm run db:seed again, or seed through it with its key: ZOO_KEY=<the key it printed> npm run db:seed`
        )
      )
    }
    const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`
    const line = yield* Effect.tryPromise({
      try: () => seedWith(sender((request) => fetch(request, { signal: AbortSignal.timeout(10_000) }), url, key)),
      catch: (error) =>
        error instanceof SeedFailed ? error : new SeedFailed(`${locked.message}, and its API at ${url} did not answer: ${String(error)}`)
    })
    return `${line} through the running server at ${url}`
  })

const program = Effect.gen(function*() {
  const config = yield* Effect.andThen(EnvFile.load, Config.load)
  const scope = yield* Scope.make()
  yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
  // The database layer is built once, here: a locked directory is known before anything is sent.
  const database = yield* Layer.build(Database.layer(config)).pipe(Scope.provide(scope), Effect.result)
  if (database._tag === "Failure") {
    const error = database.failure
    if (error._tag === "DataDirLocked") return yield* seedThroughServer(config, error)
    const why = error._tag === "SqlError" && Option.isSome(config.databaseUrl)
      ? Database.describeConnectFailure(error, config.databaseUrl.value).replace(/\n\s*/g, "; ")
      : error.message
    return yield* Effect.fail(new SeedFailed(`cannot open the database: ${why}`))
  }
  return yield* seedHere(Layer.succeedContext(database.success), config)
}).pipe(Effect.scoped)

program.pipe(
  Effect.matchCause({
    onSuccess: (line) => {
      process.stdout.write(`${line}\n`)
    },
    onFailure: (cause) => {
      // Whatever went wrong, one line: a stack trace helps nobody who runs the seed.
      const error = Cause.squash(cause)
      process.stderr.write(`db:seed: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    }
  }),
  NodeRuntime.runMain
)
