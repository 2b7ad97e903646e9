/**
 * Settings from a `.env` file, for the Node entry points (`npm start`,
 * `db:migrate`, `db:seed`): Node's own `process.loadEnvFile`, before the
 * configuration is read. Variables already in the environment win.
 *
 * `ENV_FILE` names the file (and is read in production too); otherwise
 * `./.env` is read when it exists and `NODE_ENV` is not `production`, where
 * settings belong to the deployment, not to a file left in an image.
 */
import { Effect } from "effect"
import * as Fs from "node:fs"
import { InvalidConfiguration } from "./Config.ts"

/** Reads the file the environment asks for, if any, and says which (at debug level: it is no secret, but noise). */
export const load: Effect.Effect<void, InvalidConfiguration> = Effect.suspend(() => {
  const named = process.env.ENV_FILE
  const file = named !== undefined && named !== ""
    ? named
    : process.env.NODE_ENV !== "production" && Fs.existsSync(".env")
    ? ".env"
    : undefined
  if (file === undefined) return Effect.void
  return Effect.try({
    try: () => process.loadEnvFile(file),
    catch: (error) =>
      new InvalidConfiguration({
        problems: [`ENV_FILE: cannot read ${file} (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`]
      })
  }).pipe(Effect.andThen(Effect.logDebug(`Settings read from ${file}`)))
})
