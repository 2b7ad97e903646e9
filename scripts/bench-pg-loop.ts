/**
 * The PostgreSQL reference of `npm run bench`: the query behind
 * `GET /animals/{id}`, in a loop, through the same driver and pool the
 * service uses (`@effect/sql-pg`, `Database.postgres`, default pool size),
 * with `connections` loops at once — what the service could do if HTTP,
 * validation and middleware cost nothing. Prints one JSON line.
 * `node scripts/bench-pg-loop.ts DATABASE_URL ID CONNECTIONS SECONDS`
 */
import { Duration, Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { postgres } from "../src/Repo/Database.ts"

const [url, id, connections, seconds] = process.argv.slice(2)
if (url === undefined || id === undefined) throw new Error("usage: bench-pg-loop.ts DATABASE_URL ID CONNECTIONS SECONDS")

// The repository's query for one animal, as `SqlRepository.findById` writes it.
const query = `SELECT id, name, species, nickname, habitat_id, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  version FROM animals WHERE id = $1`

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const latencies: Array<number> = []
  const deadline = performance.now() + Number(seconds ?? 3) * 1000
  const loop = Effect.gen(function*() {
    while (performance.now() < deadline) {
      const started = performance.now()
      const rows = yield* sql.unsafe(query, [id])
      if (rows.length !== 1) return yield* Effect.die(new Error(`expected the animal ${id}`))
      latencies.push(performance.now() - started)
    }
  })
  yield* Effect.all(Array.from({ length: Number(connections ?? 64) }, () => loop), { concurrency: "unbounded" })
  latencies.sort((a, b) => a - b)
  const at = (quantile: number) => Math.round(latencies[Math.floor(quantile * (latencies.length - 1))]! * 100) / 100
  console.info(JSON.stringify({ queries: latencies.length, qps: Math.round(latencies.length / Number(seconds ?? 3)), p50: at(0.5), p99: at(0.99) }))
})

await Effect.runPromise(program.pipe(
  Effect.provide(postgres({
    url: Redacted.make(url),
    poolSize: 10,
    idleTimeout: Duration.seconds(30),
    connectTimeout: Duration.seconds(5),
    statementTimeout: Duration.seconds(10)
  })),
  Effect.scoped
))
