/**
 * PGlite (PostgreSQL compiled to WebAssembly, in-process) behind the very same
 * `@effect/sql-pg` client the application uses for a real PostgreSQL server.
 *
 * `@effect/sql-pg` speaks the PostgreSQL wire protocol itself and accepts a
 * custom `stream` factory, so instead of a second SQL client this module hands
 * it an in-process `Duplex` that feeds frontend messages to
 * `pglite.execProtocolRaw` and pushes PGlite's backend messages back. Statement
 * compilation, parameter encoding, type parsing, error classification
 * (`SqlError` reasons) and transactions are therefore exactly the code paths
 * that run against PostgreSQL.
 *
 * PGlite is a single backend session, which shapes the design:
 * - the pool has one connection, and a mutex gives one `Duplex` the session from
 *   its first message until PGlite reports `ReadyForQuery` idle ('I'), so a
 *   transaction is never interleaved with anything else;
 * - a stream that goes away mid-transaction is rolled back before the session
 *   is released; every new connection starts with `DISCARD ALL`;
 * - PGlite does not lock its data directory, so this module does
 *   (`<dataDir>/.zoo-api.lock`).
 *
 * Startup parameters (`application_name`, GUCs) are accepted but ignored by
 * PGlite, and `LISTEN` would hold the only connection: do not use it here.
 *
 * Node-only: this is the one module of the app that imports `node:*`.
 *
 * @since 1.0.0
 */
import { PgClient } from "@effect/sql-pg"
import { Mutex, PGlite } from "@electric-sql/pglite"
import { Duration, Effect, type Layer, Schema } from "effect"
import type { SqlClient } from "effect/sql"
import { ConnectionError, SqlError } from "effect/sql/SqlError"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Duplex } from "node:stream"
import { fileURLToPath } from "node:url"

/**
 * Where the database lives.
 *
 * @since 1.0.0
 */
export interface PgliteOptions {
  /**
   * Data directory (created if missing). `undefined` (or `memory://…`) keeps
   * the database in memory: nothing is persisted and no lock is taken.
   */
  readonly dataDir: string | undefined
  /**
   * An initialised data directory (see {@link makeTemplate}) used instead of
   * `initdb` when `dataDir` has no database yet: copied into `dataDir`, or
   * loaded as a tarball in memory mode. Turns a ~3 s initdb into ~0.3 s.
   */
  readonly templateDir?: string | undefined
  /**
   * Without `templateDir`, a `dataDir` with no database yet is made from a
   * template made once per machine and PGlite version, kept under
   * `node_modules/.cache/zoo-api/` (see {@link cachedTemplate}); without
   * this, PGlite runs `initdb` in `dataDir` itself.
   */
  readonly cachedTemplate?: boolean | undefined
  /**
   * Client settings shared with the PostgreSQL layer (name transforms, custom
   * types, span attributes, statement cache), so both layers behave alike.
   */
  readonly client?: PgliteClientConfig | undefined
}

/**
 * The subset of `PgClient` settings that make sense for an in-process session.
 *
 * @since 1.0.0
 */
export type PgliteClientConfig = Pick<
  PgClient.PgClientConfig,
  | "transformResultNames"
  | "transformQueryNames"
  | "transformJson"
  | "types"
  | "spanAttributes"
  | "prepare"
  | "preparedStatementCacheSize"
  | "maxMessageSize"
>

/**
 * Another live process (or another layer in this process) has the data
 * directory open. Two PGlite instances on one directory corrupt it.
 *
 * @since 1.0.0
 */
export class DataDirLocked extends Schema.TaggedError<DataDirLocked>()("DataDirLocked", {
  dataDir: Schema.String,
  pid: Schema.Number
}) {
  override get message(): string {
    return `data directory ${this.dataDir} is in use by process ${this.pid}` +
      ` (if that process is not a Zoo API, delete ${Path.join(this.dataDir, lockFileName)})`
  }
}

/**
 * Provides `PgClient` and `SqlClient` (like `PgClient.layer`) backed by an
 * embedded PGlite database. Closing the layer closes the pool, then PGlite,
 * then releases the data directory lock.
 *
 * @since 1.0.0
 */
export const layer = (
  options: PgliteOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, DataDirLocked | SqlError> =>
  PgClient.layerFrom(Effect.gen(function*() {
    const db = yield* open(options)
    const lock = new Mutex()
    // Layer finalizers run in reverse: the pool closes its connections first,
    // and only then may PGlite go; wait (bounded) for the session to be idle.
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => lock.acquire()).pipe(Effect.timeoutOption(Duration.seconds(5)), Effect.asVoid)
    )
    return yield* PgClient.make({
      ...options.client,
      stream: () => new PgliteSocket(db, lock),
      // One connection: PGlite is one session (see module docs).
      maxConnections: 1,
      idleTimeout: Duration.infinity,
      // Ignored by PGlite, but required by the client; `host` names the server
      // in spans.
      username: "postgres",
      database: "postgres",
      host: "pglite",
      ssl: false
    })
  }))

/**
 * Creates an initialised data directory at `dir` (no-op if it already holds a
 * database), to be passed as `templateDir`. Tests make one per run instead of
 * paying `initdb` for every file.
 *
 * @since 1.0.0
 */
export const makeTemplate = Effect.fn("Pglite.makeTemplate")(function*(
  dir: string
): Effect.fn.Return<void, DataDirLocked | SqlError> {
  yield* Effect.scoped(open({ dataDir: dir }))
})

// -----------------------------------------------------------------------------
// Opening PGlite
// -----------------------------------------------------------------------------

const lockFileName = ".zoo-api.lock"
const versionFile = "PG_VERSION"

const connectionError = (message: string) => (cause: unknown): SqlError =>
  new SqlError({ reason: new ConnectionError({ cause, message: `Pglite: ${message}`, operation: "connect" }) })

const isMemory = (dataDir: string | undefined): dataDir is undefined =>
  dataDir === undefined || dataDir.startsWith("memory://")

/** Lock, seed from the template if needed, start PGlite; all undone on scope close. */
const open = Effect.fn("Pglite.open")(function*(options: PgliteOptions) {
  const { dataDir, templateDir } = options
  if (isMemory(dataDir)) {
    if (templateDir === undefined) return yield* acquirePglite({}, "in memory")
    yield* checkTemplate(templateDir)
    const tarball = yield* Effect.try({
      try: () => tarDirectory(templateDir),
      catch: connectionError(`cannot read template ${templateDir}`)
    })
    return yield* acquirePglite({ loadDataDir: new Blob([tarball]) }, "in memory")
  }
  yield* lockDataDir(dataDir)
  const template = templateDir ??
    (options.cachedTemplate && !Fs.existsSync(Path.join(dataDir, versionFile)) ? yield* cachedTemplate() : undefined)
  if (template !== undefined) yield* copyTemplate(template, dataDir)
  return yield* acquirePglite({ dataDir }, dataDir)
})

/**
 * Where the template of fresh data directories is kept: next to the PGlite
 * that made it, named after its version (a data directory is only good for
 * the PostgreSQL build that wrote it).
 */
const templateCacheDir = (): string => {
  const entry = import.meta.resolve("@electric-sql/pglite")
  const { version } = JSON.parse(Fs.readFileSync(new URL("../package.json", entry), "utf8")) as { readonly version: string }
  return fileURLToPath(new URL(`../../../.cache/zoo-api/pglite-${version}`, entry))
}

/**
 * The initialised data directory fresh ones are copied from, made on first
 * use: PGlite's `initdb` takes seconds and a gigabyte of memory at its peak,
 * a copy a tenth of a second. Made under a name of its own, then renamed, so
 * a process never copies half a template. `undefined` when it cannot be made
 * (a read-only `node_modules`): PGlite then runs `initdb` in the data directory.
 *
 * @since 1.0.0
 */
export const cachedTemplate = Effect.fn("Pglite.cachedTemplate")(function*() {
  const dir = yield* Effect.try(templateCacheDir)
  if (Fs.existsSync(Path.join(dir, versionFile))) return dir
  yield* Effect.logInfo("Making PGlite's template data directory (once per machine)", dir)
  const scratch = `${dir}.${process.pid}`
  yield* makeTemplate(scratch)
  yield* Effect.try(() => {
    try {
      Fs.renameSync(scratch, dir)
    } catch (cause) {
      // Another process made it meanwhile: theirs is as good.
      Fs.rmSync(scratch, { recursive: true, force: true })
      if (!Fs.existsSync(Path.join(dir, versionFile))) throw cause
    }
  })
  return dir
}, (effect) => Effect.catch(effect, () => Effect.succeed(undefined)))

/**
 * PostgreSQL's memory settings, sized for one session of small queries.
 * PGlite touches its whole `shared_buffers` at start, so PostgreSQL's
 * default (128 MB) was 220 MB of the process's RSS before any query ran.
 * The trade: fewer pages cached (a working set over 8 MB is read from the
 * data directory's files again, through the OS page cache) and sorts or
 * hashes over 1 MB spill to temporary files. PGlite writes these into the
 * data directory's `postgresql.conf`, replacing what was there.
 */
export const memorySettings: ReadonlyArray<string> = ["shared_buffers = 8MB", "work_mem = 1MB"]

const acquirePglite = (options: { readonly dataDir?: string; readonly loadDataDir?: Blob }, label: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => PGlite.create({ ...options, postgresqlconf: [...memorySettings] }),
      catch: connectionError(`cannot open database ${label}`)
    }),
    (db) => Effect.promise(() => db.closed ? Promise.resolve() : db.close().catch(() => undefined))
  )

/** A template must be initialised, and closed: an open one may be mid-write. */
const checkTemplate = (templateDir: string): Effect.Effect<void, DataDirLocked | SqlError> => {
  if (!Fs.existsSync(Path.join(templateDir, versionFile))) {
    return Effect.fail(connectionError(`template ${templateDir} is not an initialised data directory`)(undefined))
  }
  const holder = readLockHolder(Path.join(templateDir, lockFileName))
  return holder !== undefined && isAlive(holder, Path.resolve(templateDir))
    ? Effect.fail(new DataDirLocked({ dataDir: templateDir, pid: holder }))
    : Effect.void
}

/** Copies the template, `PG_VERSION` last: its presence marks a complete copy. */
const copyTemplate = Effect.fn("Pglite.copyTemplate")(function*(templateDir: string, dataDir: string) {
  if (Fs.existsSync(Path.join(dataDir, versionFile))) return
  yield* checkTemplate(templateDir)
  const skip = new Set([lockFileName, versionFile].map((name) => Path.resolve(templateDir, name)))
  // Synchronous on purpose: ~0.1 s at startup, where `fs.promises.cp` takes
  // several times longer for the ~1000 small files.
  yield* Effect.try({
    try: () => {
      Fs.cpSync(templateDir, dataDir, { recursive: true, filter: (source) => !skip.has(Path.resolve(source)) })
      Fs.copyFileSync(Path.join(templateDir, versionFile), Path.join(dataDir, versionFile))
    },
    catch: connectionError(`cannot copy template ${templateDir} to ${dataDir}`)
  })
})

// -----------------------------------------------------------------------------
// Data directory lock
// -----------------------------------------------------------------------------

/** Directories locked by this process: a lock file with our own PID is stale unless listed. */
const lockedHere = new Set<string>()

/**
 * Takes `<dataDir>/.zoo-api.lock` (created exclusively, holding our PID) until
 * the scope closes. A lock whose process is gone is taken over. Remaining gap:
 * two processes taking over the same stale lock at the same instant.
 */
const lockDataDir = Effect.fn("Pglite.lockDataDir")(function*(dataDir: string) {
  const dir = Path.resolve(dataDir)
  const file = Path.join(dir, lockFileName)
  yield* Effect.acquireRelease(
    Effect.suspend((): Effect.Effect<void, DataDirLocked | SqlError> => {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          Fs.mkdirSync(dir, { recursive: true })
          Fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" })
          lockedHere.add(dir)
          return Effect.void
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code !== "EEXIST") {
            return Effect.fail(connectionError(`cannot lock data directory ${dataDir}`)(cause))
          }
        }
        const holder = readLockHolder(file)
        if (holder !== undefined && isAlive(holder, dir)) {
          return Effect.fail(new DataDirLocked({ dataDir, pid: holder }))
        }
        Fs.rmSync(file, { force: true })
      }
      return Effect.fail(connectionError(`cannot lock data directory ${dataDir}`)(undefined))
    }),
    () =>
      Effect.sync(() => {
        lockedHere.delete(dir)
        if (readLockHolder(file) === process.pid) Fs.rmSync(file, { force: true })
      })
  )
})

const readLockHolder = (file: string): number | undefined => {
  try {
    const pid = Number.parseInt(Fs.readFileSync(file, "utf8"), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

const isAlive = (pid: number, dir: string): boolean => {
  // Our own PID: a leftover from an earlier run (e.g. PID 1 in a restarted
  // container) unless a layer in this process holds it right now.
  if (pid === process.pid) return lockedHere.has(dir)
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM"
  }
}

// -----------------------------------------------------------------------------
// In-process socket
// -----------------------------------------------------------------------------

const sslRequestCode = 80877103
const gssEncRequestCode = 80877104
const cancelRequestCode = 80877102
const Sync = Uint8Array.of(0x53, 0, 0, 0, 4)

const simpleQuery = (sql: string): Uint8Array => {
  const text = Buffer.from(`${sql}\0`)
  const message = Buffer.alloc(5 + text.length)
  message[0] = 0x51
  message.writeInt32BE(4 + text.length, 1)
  text.copy(message, 5)
  return message
}
const Rollback = simpleQuery("ROLLBACK")
const DiscardAll = simpleQuery("DISCARD ALL")

/** Status byte ('I' idle, 'T' in transaction, 'E' failed) of the last `ReadyForQuery`. */
const lastReadyStatus = (data: Uint8Array): number | undefined => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let status: number | undefined
  for (let offset = 0; offset + 5 <= data.length;) {
    const length = view.getInt32(offset + 1)
    if (length < 4) break
    if (data[offset] === 0x5a && offset + 5 < data.length) status = data[offset + 5]
    offset += 1 + length
  }
  return status
}
const Idle = 0x49

/**
 * Runs wire-protocol messages and returns PGlite's raw answer, copied (the
 * chunks are views of its memory). Not `execProtocolRaw`: in PGlite 0.5.16
 * it also parses every answer into a list that only `execProtocol` empties,
 * so on one long-lived session every row ever read stayed in memory (found by
 * the soak: +160 MiB a minute under load) — and the parse was wasted work.
 */
const execRaw = async (db: PGlite, messages: Uint8Array): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  // `syncToFs: false`: our data directory (Node's file system) and the in-memory
  // one are written through, so their sync is a no-op that still took a mutex
  // round after every query.
  await db.execProtocolRawStream(messages, { syncToFs: false, onRawData: (chunk) => chunks.push(Buffer.from(chunk)) })
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/**
 * One client connection. Frames frontend messages by length (they may arrive
 * split or merged), owns the PGlite session from its first message until the
 * session is idle again, and answers SSL/GSS requests with 'N' and cancel
 * requests by closing: PGlite runs each message synchronously, so there is
 * never anything to cancel.
 */
class PgliteSocket extends Duplex {
  private readonly db: PGlite
  private readonly lock: Mutex
  /** Unconsumed bytes of an incomplete message. */
  private pending: Buffer = Buffer.alloc(0)
  private started = false
  private finished = false
  private eof = false
  private release: (() => void) | undefined = undefined
  /** Serialises message handling with teardown. */
  private tail: Promise<void> = Promise.resolve()

  constructor(db: PGlite, lock: Mutex) {
    super()
    this.db = db
    this.lock = lock
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    this.tail = this.tail.then(() => this.handle()).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.tail = this.tail.then(() => this.finish()).then(() => {
      this.endReadable()
      callback()
    })
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.tail = this.tail.then(() => this.finish()).then(() => callback(error))
  }

  private async handle(): Promise<void> {
    while (!this.finished && !this.destroyed) {
      if (!this.started) {
        if (this.pending.length < 8) break
        const length = this.pending.readInt32BE(0)
        if (length < 8 || length > 10_000) throw new Error(`Pglite: invalid startup packet length ${length}`)
        if (this.pending.length < length) break
        const packet = this.takeBytes(length)
        const code = packet.readInt32BE(4)
        if (code === sslRequestCode || code === gssEncRequestCode) {
          this.push(Buffer.from("N"))
        } else if (code === cancelRequestCode) {
          this.destroy()
        } else {
          this.started = true
          await this.startup(packet)
        }
        continue
      }
      // Forward every complete message in one call (PGlite loops over them),
      // stopping at Terminate, which PGlite must not see mid-buffer.
      let end = 0
      let terminate = false
      let last = 0
      while (this.pending.length - end >= 5) {
        const length = this.pending.readInt32BE(end + 1)
        if (length < 4) throw new Error(`Pglite: invalid message length ${length}`)
        if (this.pending.length - end < 1 + length) break
        if (this.pending[end] === 0x58) {
          terminate = true
          break
        }
        last = this.pending[end]!
        end += 1 + length
      }
      if (end > 0) await this.exec(this.takeBytes(end), last)
      if (terminate) {
        await this.finish()
        this.endReadable()
      }
      break
    }
    // Keep only our own copy of a partial message: the writer may reuse its buffer.
    if (this.pending.length > 0) this.pending = Buffer.from(this.pending)
  }

  /** Ends the readable side (once): the server closes after Terminate. */
  private endReadable(): void {
    if (this.eof) return
    this.eof = true
    this.push(null)
  }

  private takeBytes(length: number): Buffer {
    const head = this.pending.subarray(0, length)
    this.pending = this.pending.subarray(length)
    return head
  }

  private async acquire(): Promise<void> {
    if (this.release === undefined) this.release = await this.lock.acquire()
  }

  /** Releases the session once idle with no extended-protocol message after the last Sync/Query. */
  private releaseIfIdle(response: Uint8Array, last: number): void {
    if ((last === 0x53 || last === 0x51) && lastReadyStatus(response) === Idle) {
      this.release?.()
      this.release = undefined
    }
  }

  private async exec(messages: Uint8Array, last: number): Promise<void> {
    await this.acquire()
    if (this.destroyed) return
    const response = await execRaw(this.db, messages)
    if (response.length > 0) this.push(response)
    this.releaseIfIdle(response, last)
  }

  private async startup(packet: Uint8Array): Promise<void> {
    await this.acquire()
    if (this.destroyed) return
    // A fresh connection must not inherit the previous one's prepared
    // statements, settings or temp tables; the session is idle here.
    await execRaw(this.db, DiscardAll)
    // PGlite answers the StartupMessage itself (AuthenticationOk,
    // ParameterStatus, BackendKeyData, ReadyForQuery).
    const response = await execRaw(this.db, packet)
    this.push(response)
    this.releaseIfIdle(response, 0x51)
  }

  /** Ends the session: rolls back whatever the client left open, then releases it. */
  private async finish(): Promise<void> {
    if (this.finished) return
    this.finished = true
    if (this.release === undefined) return
    try {
      if (!this.db.closed) {
        // Sync ends a half-sent extended query; its ReadyForQuery tells whether
        // a transaction is still open.
        if (lastReadyStatus(await execRaw(this.db, Sync)) !== Idle) {
          await execRaw(this.db, Rollback)
        }
      }
    } catch {
      // PGlite is unusable; nothing to roll back.
    } finally {
      this.release()
      this.release = undefined
    }
  }
}

/** A minimal ustar archive of `root` for PGlite's `loadDataDir` (in-memory mode). */
const tarDirectory = (root: string): Uint8Array<ArrayBuffer> => {
  const parts: Array<Uint8Array> = []
  const header = (name: string, size: number, mtime: number, type: "0" | "5"): Uint8Array => {
    if (Buffer.byteLength(name) > 99) throw new Error(`path too long for tar: ${name}`)
    const block = Buffer.alloc(512)
    block.write(name, 0)
    block.write(type === "5" ? "0000755\0" : "0000644\0", 100)
    block.write("0000000\0", 108)
    block.write("0000000\0", 116)
    block.write(`${size.toString(8).padStart(11, "0")}\0`, 124)
    block.write(`${Math.floor(mtime / 1000).toString(8).padStart(11, "0")}\0`, 136)
    block.write("        ", 148)
    block.write(type, 156)
    block.write("ustar\0" + "00", 257)
    let sum = 0
    for (const byte of block) sum += byte
    block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148)
    return block
  }
  const walk = (relative: string): void => {
    for (const entry of Fs.readdirSync(Path.join(root, relative), { withFileTypes: true })) {
      if (entry.name === lockFileName) continue
      const name = relative === "" ? entry.name : `${relative}/${entry.name}`
      const full = Path.join(root, name)
      if (entry.isDirectory()) {
        parts.push(header(`${name}/`, 0, Fs.statSync(full).mtimeMs, "5"))
        walk(name)
      } else if (entry.isFile()) {
        const data = Fs.readFileSync(full)
        parts.push(header(name, data.length, Fs.statSync(full).mtimeMs, "0"), data)
        const padding = (512 - (data.length % 512)) % 512
        if (padding > 0) parts.push(new Uint8Array(padding))
      }
    }
  }
  walk("")
  parts.push(new Uint8Array(1024))
  return Buffer.concat(parts)
}
