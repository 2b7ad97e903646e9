/**
 * Every setting the service reads, from the environment, in one place.
 * Secrets are `Redacted` (they print as `<redacted>`). `load` reads them all
 * and reports every bad or missing value together, so a broken deployment is
 * fixed in one round, not one variable at a time.
 */
import { ByteSize, Config, Duration, Effect, Schema, SchemaGetter } from "effect"

const PostgresUrl = Schema.String.check(
  Schema.isPattern(/^postgres(ql)?:\/\/\S+$/, { expected: "a postgres:// or postgresql:// URL" })
)

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const RedisUrl = Schema.String.check(Schema.isPattern(/^rediss?:\/\/\S+$/, { expected: "a redis:// or rediss:// URL" }))

/** `100/1s`: at most `limit` requests per `window` for each client. */
const RateLimit = Schema.String.check(
  Schema.isPattern(/^\d+\/\d+(ms|s|m|h)$/, { expected: "requests per window, like 100/1s or 1000/1m" })
).pipe(Schema.decodeTo(
  Schema.Struct({ limit: PositiveInt, window: Schema.Duration }),
  {
    decode: SchemaGetter.transform((text: string) => {
      const [, limit, amount, unit] = /^(\d+)\/(\d+)(ms|s|m|h)$/.exec(text)!
      const millis = Number(amount) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const)[unit as "ms" | "s" | "m" | "h"]
      return { limit: Number(limit), window: Duration.millis(millis) }
    }),
    encode: SchemaGetter.transform(({ limit, window }: { readonly limit: number; readonly window: Duration.Duration }) =>
      `${limit}/${Duration.toMillis(window)}ms`
    )
  }
))

const CommaList = Schema.String.pipe(Schema.decodeTo(Schema.Array(Schema.String), {
  decode: SchemaGetter.transform((text: string) => text.split(",").map((item) => item.trim()).filter((item) => item.length > 0)),
  encode: SchemaGetter.transform((items: ReadonlyArray<string>) => items.join(","))
}))

/** What a browser sends as `Origin`: scheme, host, optional port; a path or trailing slash would never match. */
const Origin = Schema.String.check(
  Schema.isPattern(/^https?:\/\/[^/\s]+$/, { expected: "origins like https://app.example or http://localhost:5173 (no path, no trailing slash)" })
)

/**
 * `BODY_LIMIT`: a size with its unit (`512 KiB`, `2 MB`) or, as README.md
 * says, a plain number of bytes (`100`), which effect's byte sizes (a unit
 * required) read as `100 B`.
 */
const BodyLimit = Schema.String.pipe(
  Schema.decodeTo(Schema.ByteSizeFromString, {
    decode: SchemaGetter.transform((text: string) => (/^\s*\d+\s*$/.test(text) ? `${text.trim()} B` : text)),
    encode: SchemaGetter.transform((text: string) => text)
  })
)

/** When `/v1` is deprecated and when it goes away, unless `V1_DEPRECATED_AT` / `V1_SUNSET_AT` say otherwise. */
export const v1RetirementDefaults = {
  deprecatedAt: new Date("2026-12-01T00:00:00Z"),
  sunsetAt: new Date("2027-06-01T00:00:00Z")
} as const

/** `IDEMPOTENCY_TTL`: how long an `Idempotency-Key` and its outcome are kept after the request. */
export const idempotencyTtl = Config.Duration("IDEMPOTENCY_TTL").pipe(Config.withDefault(Duration.hours(24)))

/** Each variable, with its default. README's table and `.env.example` list the same. */
const settings = {
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  nodeEnv: Config.Literals(["development", "test", "production"], "NODE_ENV").pipe(Config.withDefault("development")),
  logLevel: Config.LogLevel("LOG_LEVEL").pipe(Config.withDefault("Info")),
  /** How long in-flight requests may take to finish after SIGTERM. */
  shutdownTimeout: Config.Duration("SHUTDOWN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  // Connections: Node's own defaults are 60 s for headers, 300 s for a request, no connection limit.
  /** Open connections at most; one more closes the oldest that has sent no request yet (see `src/NodeServer.ts`). */
  maxConnections: Config.schema(Schema.NumberFromString.pipe(Schema.decodeTo(PositiveInt)), "MAX_CONNECTIONS").pipe(
    Config.withDefault(1000)
  ),
  /** How long a client may take to send a request's headers. */
  headersTimeout: Config.Duration("HEADERS_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  /** How long a client may take to send a whole request, body included; at least `HEADERS_TIMEOUT`. */
  requestTimeout: Config.Duration("REQUEST_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
  /** How long a connection may stay idle between requests (behind a load balancer: longer than its idle timeout). */
  keepAliveTimeout: Config.Duration("KEEP_ALIVE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  /** `sql` (PGlite or PostgreSQL) or `memory` (nothing persists: for trying the API and for benchmarks). */
  storage: Config.Literals(["sql", "memory"], "STORAGE").pipe(Config.withDefault("sql")),
  databaseUrl: Config.option(Config.schema(Schema.Redacted(PostgresUrl), "DATABASE_URL")),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./.data")),
  poolSize: Config.schema(Schema.NumberFromString.pipe(Schema.decodeTo(PositiveInt)), "DATABASE_POOL_SIZE").pipe(
    Config.withDefault(10)
  ),
  idleTimeout: Config.Duration("DATABASE_IDLE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
  connectTimeout: Config.Duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  statementTimeout: Config.Duration("DATABASE_STATEMENT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  idempotencyTtl,
  // Security
  /** Comma-separated API keys, or `sha256:<hex>` digests of them. */
  apiKeys: Config.option(Config.Redacted("API_KEYS")),
  jwksUrl: Config.option(Config.URL("AUTH_JWKS_URL")),
  jwksFile: Config.option(Config.String("AUTH_JWKS_FILE")),
  authIssuer: Config.option(Config.String("AUTH_ISSUER")),
  authAudience: Config.option(Config.String("AUTH_AUDIENCE")),
  /**
   * Signs list cursors (HMAC-SHA-256); unset: derived from `DATABASE_URL`, which every replica of one database
   * shares, or a development default without one (PGlite and memory serve from one process).
   */
  cursorSecret: Config.option(Config.schema(Schema.Redacted(Schema.String.check(Schema.isMinLength(32))), "CURSOR_SECRET")),
  /** Requests per window per client, like `100/1s`; unset: no rate limit. */
  rateLimit: Config.option(Config.schema(RateLimit, "RATE_LIMIT")),
  redisUrl: Config.option(Config.schema(Schema.Redacted(RedisUrl), "REDIS_URL")),
  bodyLimit: Config.schema(BodyLimit, "BODY_LIMIT").pipe(Config.withDefault(ByteSize.mebibytes(1))),
  /** Comma-separated allowed origins; unset: no CORS headers at all. */
  corsOrigins: Config.schema(CommaList.pipe(Schema.decodeTo(Schema.Array(Origin))), "CORS_ORIGINS").pipe(
    Config.withDefault([] as ReadonlyArray<string>)
  ),
  // Observability
  /** An OTLP/HTTP collector, e.g. `http://127.0.0.1:4318`; unset: no tracing at all. */
  otelEndpoint: Config.option(Config.URL("OTEL_EXPORTER_OTLP_ENDPOINT")),
  otelServiceName: Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("zoo-api")),
  /** When set, `GET /metrics` requires `Authorization: Bearer <METRICS_TOKEN>`; required in production. */
  metricsToken: Config.option(Config.Redacted("METRICS_TOKEN")),
  // Versions
  v1DeprecatedAt: Config.Date("V1_DEPRECATED_AT").pipe(Config.withDefault(v1RetirementDefaults.deprecatedAt)),
  v1SunsetAt: Config.Date("V1_SUNSET_AT").pipe(Config.withDefault(v1RetirementDefaults.sunsetAt))
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
  // RFC 8594 §3 / RFC 9745 §3: a version does not go away before it is deprecated.
  const { v1DeprecatedAt, v1SunsetAt } = values as Partial<AppConfig>
  if (v1DeprecatedAt !== undefined && v1SunsetAt !== undefined && v1SunsetAt < v1DeprecatedAt) {
    problems.push("V1_SUNSET_AT: expected a date not before V1_DEPRECATED_AT")
  }
  const { headersTimeout, requestTimeout } = values as Partial<AppConfig>
  if (headersTimeout !== undefined && requestTimeout !== undefined && Duration.isGreaterThan(headersTimeout, requestTimeout)) {
    problems.push("HEADERS_TIMEOUT: expected at most REQUEST_TIMEOUT (the headers are part of the request)")
  }
  // Like writes without credentials, an open /metrics in production is a mistake, not a choice.
  const { nodeEnv, metricsToken } = values as Partial<AppConfig>
  if (nodeEnv === "production" && metricsToken !== undefined && metricsToken._tag === "None") {
    problems.push("METRICS_TOKEN is required when NODE_ENV=production: /metrics tells anyone who asks the traffic by route")
  }
  if (problems.length > 0) return yield* new InvalidConfiguration({ problems })
  return values as AppConfig
})
