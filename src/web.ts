/**
 * The service as a Web handler (`Request -> Response`), for runtimes other
 * than Node: Deno (`Deno.serve(handler)`), Bun (`Bun.serve({ fetch: handler })`),
 * or any serverless host that speaks the Fetch API. This module imports
 * nothing from `node:*`; the caller chooses the repositories (in memory, or
 * SQL over PGlite / PostgreSQL) and, if it wants `/docs`, a file system.
 */
import { type FileSystem, Layer } from "effect"
import { Digest, Mac, SecureRandom } from "effect/crypto"
import { HttpRouter, HttpServer } from "effect/http"
import type { WriteAccess } from "./Auth/WriteAccess.ts"
import * as WriteAccessLive from "./Auth/WriteAccessLive.ts"
import type { InvalidConfiguration } from "./Config.ts"
import { makeAppRoutes, routerConfig } from "./App.ts"
import { MemoryRepositories, type Repositories } from "./Repositories.ts"

/** Writes are checked as the environment says (`API_KEYS`, `AUTH_JWKS_URL`, ...), unless `writeAccess` says otherwise. */
export const makeWebHandler = <E>(
  repositories: Layer.Layer<Repositories, E> = MemoryRepositories,
  writeAccess: Layer.Layer<WriteAccess, InvalidConfiguration, FileSystem.FileSystem> = WriteAccessLive.layerFromEnv.pipe(
    Layer.provide(Digest.layerWebCrypto)
  )
) =>
  // The edge middleware writes the access lines; the built-in per-request log would repeat them.
  HttpRouter.toWebHandler(
    makeAppRoutes(repositories).pipe(
      Layer.provide(writeAccess),
      Layer.provide(HttpServer.layerServices),
      // Idempotency keys digest request bodies; list cursors are signed (HMAC).
      Layer.provide([Digest.layerWebCrypto, Mac.layerWebCrypto.pipe(Layer.provide(SecureRandom.layerWebCrypto))])
    ),
    { disableLogger: true, routerConfig }
  )
