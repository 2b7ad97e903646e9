/**
 * `npm run db:migrate`: applies pending migrations to the configured database
 * (DATABASE_URL, else the PGlite in DATA_DIR) and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Database from "../src/Repo/Database.ts"

Layer.build(Database.layer).pipe(
  Effect.andThen(Effect.logInfo("Migrations applied")),
  Effect.scoped,
  NodeRuntime.runMain
)
