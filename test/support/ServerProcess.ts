/**
 * The real service as a child process: `node src/main.ts` with the
 * environment a test gives it, on a free loopback port. Durability and outage
 * tests need this, since only a separate process can be `kill -9`ed, hold a
 * data directory lock, or lose its database for real.
 *
 * Every process started here is killed when the test process exits, even if a
 * test forgot to (or could not) stop it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import { serviceFree } from "../../scripts/lib/Environment.ts"
import { testApiKey, withTestKey } from "./Credentials.ts"
import { fetchText } from "./Fetch.ts"

const projectDir = Path.resolve(import.meta.dirname, "../..")
const mainPath = Path.join(projectDir, "src", "main.ts")

if (Number(process.versions.node.split(".")[0]) < 22) {
  throw new Error(`ServerProcess needs Node >= 22.19 (the project's own node), got ${process.version}: run through npx`)
}

export interface ServerProcess {
  readonly url: string
  readonly pid: number
  /** Milliseconds from spawn until `/healthz` answered 200 (`NaN` when not waited for). */
  readonly startupMs: number
  /** The exit code once the process has ended; `null` when a signal ended it. */
  readonly exited: Promise<number | null>
  /** Whether the process has ended. */
  readonly hasExited: () => boolean
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  readonly kill: (signal?: NodeJS.Signals) => Promise<number | null>
  /** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
  readonly stop: (graceMs?: number) => Promise<number | null>
  /** Everything the process wrote to stdout and stderr so far. */
  readonly output: () => string
}

/** Processes not yet exited; killed when the test process exits. */
const live = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL")
})

/** A port nobody listens on right now (another process may still take it: see {@link startServer}). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/**
 * Starts `src/main.ts` (or `main`) without waiting for it to serve. The inherited
 * environment loses every setting the service reads, so only `env` decides
 * the database and the credentials; writes take the test key unless `env`
 * sets `API_KEYS` (`""`: none, as with nothing configured).
 */
export const spawnServer = (env: Record<string, string>, port: number, main: string = mainPath): ServerProcess => {
  const child = spawn(process.execPath, [main], {
    cwd: projectDir,
    env: { ...serviceFree(process.env), API_KEYS: testApiKey, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(child)
  const chunks: Array<string> = []
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk))
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk))
  let ended = false
  const exited = new Promise<number | null>((resolve) => {
    // "close", not "exit": the output is complete once the pipes are closed.
    child.once("close", (code) => {
      ended = true
      live.delete(child)
      resolve(code)
    })
    child.once("error", (error) => {
      chunks.push(`spawn failed: ${error.message}\n`)
      ended = true
      live.delete(child)
      resolve(null)
    })
  })
  const kill = (signal: NodeJS.Signals = "SIGTERM") => {
    if (!ended) child.kill(signal)
    return exited
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    startupMs: Number.NaN,
    exited,
    hasExited: () => ended,
    kill,
    stop: async (graceMs = 10_000) => {
      if (ended) return exited
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    output: () => chunks.join("")
  }
}

const describeServer = (server: ServerProcess) => `server ${server.url} (pid ${server.pid}); output:\n${server.output()}`

/** One GET on a connection of its own, destroyed when it times out or `signal` aborts. */
const probe = (url: string, signal: AbortSignal, timeoutMs: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const request = Http.get(url, { agent: false, signal, timeout: timeoutMs }, (response) => {
      response.resume()
      resolve(response.statusCode)
    })
    request.once("timeout", () => request.destroy())
    request.once("error", () => resolve(undefined))
  })

/**
 * Probes `/healthz` every 100 ms until one probe answers 200; fails if the
 * process exits first or `timeoutMs` passes.
 *
 * The port opens only once the database is open and migrated (src/main.ts;
 * Settings.test.ts checks it): until then a probe is refused at once. Probes
 * still overlap rather than run one after another, so that one slow answer on
 * a loaded machine does not hold up the next. Each probe has its own
 * connection, closed once it is over, so no hung connection outlives the wait.
 */
export const waitUntilHealthy = async (server: ServerProcess, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  const probes = new AbortController()
  let healthy = false
  try {
    while (Date.now() < deadline) {
      if (server.hasExited()) {
        throw new Error(`exited with code ${await server.exited} before serving: ${describeServer(server)}`)
      }
      void probe(`${server.url}/healthz`, probes.signal, 3_000).then((status) => {
        if (status === 200) healthy = true
      })
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (healthy) return
    }
    throw new Error(`not healthy within ${timeoutMs} ms: ${describeServer(server)}`)
  } finally {
    probes.abort()
  }
}

/**
 * Starts the service and waits (bounded) until it serves. A port taken between
 * {@link freePort} and the server's `listen` is retried with another port.
 * The caller must `stop()` or `kill()` what it gets.
 */
export const startServer = async (
  env: Record<string, string>,
  options: {
    readonly timeoutMs?: number
    /** The entry point to run: `src/main.ts` unless set (e.g. a bundle). */
    readonly main?: string
  } = {}
): Promise<ServerProcess> => {
  for (let attempt = 1;; attempt++) {
    const started = performance.now()
    const server = spawnServer(env, await freePort(), options.main)
    try {
      await waitUntilHealthy(server, options.timeoutMs)
      return { ...server, startupMs: performance.now() - started }
    } catch (error) {
      await server.stop(2_000)
      if (attempt < 3 && /cannot listen: .*EADDRINUSE/.test(server.output())) continue
      throw error
    }
  }
}

/**
 * Resolves with the exit code, or fails after `ms` (stopping the process): a
 * process that should exit by itself must not hang the test.
 */
export const exitWithin = (server: ServerProcess, ms: number): Promise<number | null> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void server.stop(1_000)
      reject(new Error(`still running after ${ms} ms; output:\n${server.output()}`))
    }, ms)
  })
  return Promise.race([server.exited, timeout]).finally(() => clearTimeout(timer))
}

/** What a TCP connection to 127.0.0.1:`port` meets: an accept, a refusal (nothing listens), or neither within `timeoutMs`. */
export const connectOutcome = (port: number, timeoutMs = 2_000) =>
  new Promise<"accepted" | "refused" | "no answer">((resolve) => {
    const socket = Net.connect({ host: "127.0.0.1", port, timeout: timeoutMs })
    const settle = (outcome: "accepted" | "refused" | "no answer") => {
      socket.destroy()
      resolve(outcome)
    }
    socket.once("connect", () => settle("accepted")).once("timeout", () => settle("no answer"))
    socket.once("error", (error: NodeJS.ErrnoException) => settle(error.code === "ECONNREFUSED" ? "refused" : "no answer"))
  })

/**
 * Runs `node <script>` (a path from the project's root) with exactly the
 * service settings in `env`, to its end; fails if it is still running after
 * `timeoutMs`. Resolves with its exit code and everything it wrote.
 */
export const runToExit = (script: string, env: Record<string, string>, timeoutMs = 60_000) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: projectDir,
      env: { ...serviceFree(process.env), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${script} still running after ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

/** {@link fetchText}; writes without credentials of their own carry the test key. */
export const request = (url: string, init: RequestInit & { readonly timeoutMs?: number } = {}) =>
  fetchText(url, withTestKey(init))

export const postJson = (url: string, body: unknown, timeoutMs?: number) =>
  request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(timeoutMs !== undefined && { timeoutMs })
  })
