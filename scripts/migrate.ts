/**
 * `npm run db:migrate`: applies pending migrations to the configured database
 * (DATABASE_URL, else the PGlite in DATA_DIR) and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Config from "../src/Config.ts"
import * as EnvFile from "../src/EnvFile.ts"
import * as Database from "../src/Repo/Database.ts"

Effect.andThen(EnvFile.load, Config.load).pipe(
  Effect.flatMap((config) => Effect.scoped(Layer.build(Database.layer(config)))),
  Effect.andThen(Effect.logInfo("Migrations applied")),
  NodeRuntime.runMain
)
