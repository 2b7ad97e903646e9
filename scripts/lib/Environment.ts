/**
 * The environment a started service inherits, for the scripts and the tests
 * that spawn it.
 */

/**
 * The environment without the service's own settings: a started server gets
 * only the ones its caller gives (an inherited DATABASE_URL would turn a
 * PGlite run into a PostgreSQL one, a RATE_LIMIT would refuse the load).
 */
export const serviceFree = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      !/^(DATABASE_|DATA_DIR$|STORAGE$|PORT$|HOST$|API_KEYS$|AUTH_|RATE_LIMIT$|REDIS_URL$|BODY_LIMIT$|CORS_ORIGINS$|METRICS_TOKEN$|OTEL_|NODE_ENV$|LOG_LEVEL$)/
        .test(name)
    )
  )
