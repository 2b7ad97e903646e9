/**
 * Every setting the service reads, from the environment, in one place.
 * Secrets are `Redacted` (they print as `<redacted>`). `load` reads them all
 * and reports every bad or missing value together, so a broken deployment is
 * fixed in one round, not one variable at a time.
 */
import { Config, Duration, Effect, Schema } from "effect"

const PostgresUrl = Schema.String.check(
  Schema.isPattern(/^postgres(ql)?:\/\/\S+$/, { expected: "a postgres:// or postgresql:// URL" })
)

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** Each variable, with its default. README's table and `.env.example` list the same. */
const settings = {
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  nodeEnv: Config.Literals(["development", "test", "production"], "NODE_ENV").pipe(Config.withDefault("development")),
  logLevel: Config.LogLevel("LOG_LEVEL").pipe(Config.withDefault("Info")),
  databaseUrl: Config.option(Config.schema(Schema.Redacted(PostgresUrl), "DATABASE_URL")),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./.data")),
  poolSize: Config.schema(Schema.NumberFromString.pipe(Schema.decodeTo(PositiveInt)), "DATABASE_POOL_SIZE").pipe(
    Config.withDefault(10)
  ),
  idleTimeout: Config.Duration("DATABASE_IDLE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
  connectTimeout: Config.Duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  statementTimeout: Config.Duration("DATABASE_STATEMENT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
}

export type AppConfig = { readonly [K in keyof typeof settings]: Config.Success<(typeof settings)[K]> }

/** The configuration could not be read: every problem, one per line. */
export class InvalidConfiguration extends Schema.TaggedError<InvalidConfiguration>()("InvalidConfiguration", {
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `invalid configuration:\n  - ${this.problems.join("\n  - ")}`
  }
}

/** `SchemaError(Expected a string ...\n  at ["PORT"])` → `PORT: expected a string ...`. */
const describe = (error: Config.ConfigError): string => {
  const text = error.message.replace(/^SchemaError\(/, "").replace(/\)$/, "")
  const name = /at \["([^"]+)"\]/.exec(text)?.[1] ?? "configuration"
  const reason = text.replace(/\n\s*at \[.*\]/g, "").trim()
  return reason === "Expected string" ? `${name} is required` : `${name}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`
}

/** Reads every setting; fails with all the problems at once. */
export const load = Effect.gen(function*() {
  const values: Record<string, unknown> = {}
  const problems: Array<string> = []
  for (const [key, config] of Object.entries(settings)) {
    const result = yield* Effect.result(Effect.gen(function*() {
      return yield* (config as Config.Config<unknown>)
    }))
    if (result._tag === "Success") values[key] = result.success
    else problems.push(describe(result.failure))
  }
  if (problems.length > 0) return yield* new InvalidConfiguration({ problems })
  return values as AppConfig
})
