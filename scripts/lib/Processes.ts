/**
 * The service (or the bench baseline) as a child process, for the scripts that
 * load it (`scripts/bench.ts`, `scripts/soak.ts`): a free loopback port, start
 * (pinned to core 0 with `taskset` when it exists) until it serves, stop, and
 * its memory from /proc.
 */
import { execFileSync, spawn, type ChildProcess, type StdioNull } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { serviceFree } from "./Environment.ts"

const projectDir = Path.resolve(import.meta.dirname, "../..")

/**
 * Node's arguments in an npm script (`node <arguments>` in package.json:
 * `start` runs the sources, `start:dist` the bundle), so the scripts start
 * the service the way its users do, `--liftoff-only` included (see
 * docs/performance.md).
 */
export const npmStartArgs = (script: "start" | "start:dist" = "start"): ReadonlyArray<string> => {
  const { scripts } = JSON.parse(Fs.readFileSync(Path.join(projectDir, "package.json"), "utf8")) as {
    readonly scripts: Readonly<Record<string, string>>
  }
  const [command, ...args] = (scripts[script] ?? "").split(/\s+/)
  if (command !== "node") throw new Error(`npm run ${script} is not \`node ...\`: ${scripts[script]}`)
  return args
}

/** The API key the started servers accept for writes. */
export const apiKey = "bench-key"

export const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

export interface Server {
  readonly url: string
  readonly child: ChildProcess
  readonly startupMs: number
}

/**
 * Spawns `node <args>` on core 0 and waits (at most 60 s, less if it exits) until
 * `GET /v1/animals` answers 200. Its stdout (the access lines) goes nowhere unless
 * `options.stdout` is a file descriptor to write it to.
 */
export const start = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  port: number,
  options: { readonly stdout?: StdioNull | number } = {}
): Promise<Server> => {
  const started = performance.now()
  const command = hasTaskset ? "taskset" : process.execPath
  const child = spawn(command, hasTaskset ? ["-c", "0", process.execPath, ...args] : [...args], {
    cwd: projectDir,
    env: { ...serviceFree(process.env), ...env, PORT: String(port), HOST: "127.0.0.1", API_KEYS: apiKey, LOG_LEVEL: "Info" },
    stdio: ["ignore", options.stdout ?? "ignore", "inherit"]
  })
  const url = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    // A process that failed to start will never serve: say so now rather than after 60 s.
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before serving`)
    }
    const status = await fetch(`${url}/v1/animals`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status, () => 0)
    if (status === 200) return { url, child, startupMs: performance.now() - started }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  child.kill("SIGKILL")
  throw new Error(`${args.join(" ")} did not serve within 60 s`)
}

/** Resident set size and its high-water mark, from /proc (Linux), in MiB. */
export const memory = (pid: number) => {
  try {
    const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const read = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
    return { rssMiB: Math.round(read("VmRSS")), hwmMiB: Math.round(read("VmHWM")) }
  } catch {
    return { rssMiB: 0, hwmMiB: 0 }
  }
}

/** The node pid behind `taskset` (it execs, so it is the same pid). */
export const pidOf = (server: Server) => server.child.pid!

/** Whether the process still runs: one that exited (or crashed) has nothing left to stop. */
export const isRunning = (server: Server) => server.child.exitCode === null && server.child.signalCode === null

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone (at once if it already is). */
export const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    if (!isRunning(server)) return resolve()
    server.child.once("exit", () => resolve())
    server.child.kill("SIGTERM")
    setTimeout(() => server.child.kill("SIGKILL"), 5_000).unref()
  })
