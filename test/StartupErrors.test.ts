/**
 * A start that fails says why, in words a person can act on: each PostgreSQL
 * cause is named (the database does not exist, with the `createdb` command;
 * the connection is refused; authentication failed; TLS is required), as one
 * JSON log line when the output is not a terminal, and as readable lines in a
 * terminal.
 *
 * "Database does not exist" and "connection refused" are provoked for real
 * (the local PostgreSQL, and a port nobody listens on). The local PostgreSQL
 * trusts every local connection, so a wrong password and a TLS-only server
 * are played by a small server on 127.0.0.1 that speaks PostgreSQL's wire
 * protocol far enough to refuse the connection as PostgreSQL does: a peer,
 * not a stand-in for our code.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { serviceFree } from "../scripts/lib/Environment.ts"
import { exitWithin, freePort, spawnServer } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
const postgresUrl = process.env.TEST_DATABASE_URL
if (postgresUrl === undefined) console.error("StartupErrors: the missing-database case is skipped (no TEST_DATABASE_URL)")

/** The service's one failure line, as the process printed it (not in a terminal: JSON). */
const failureOf = async (env: Record<string, string>) => {
  const server = spawnServer({ API_KEYS: "k-startup", ...env }, await freePort())
  const code = await exitWithin(server, 30_000)
  assert.strictEqual(code, 1, server.output())
  const lines = server.output().trim().split("\n").filter((line) => line.includes("could not start"))
  assert.strictEqual(lines.length, 1, server.output())
  const record = JSON.parse(lines[0]!)
  assert.strictEqual(record.level, "ERROR")
  return record.message as string
}

/** An ErrorResponse message of PostgreSQL's protocol (severity, code, message). */
const errorResponse = (code: string, message: string) => {
  const fields = Buffer.concat([
    ...[["S", "FATAL"], ["V", "FATAL"], ["C", code], ["M", message]].map(([type, value]) => Buffer.from(`${type}${value}\0`)),
    Buffer.from([0])
  ])
  const length = Buffer.alloc(4)
  length.writeInt32BE(fields.length + 4)
  return Buffer.concat([Buffer.from("E"), length, fields])
}

const sslRequestCode = 80877103

/**
 * A server that refuses every connection as PostgreSQL would: it declines TLS
 * if asked ('N'), reads the startup message, and answers `code`/`message`.
 */
const refusingPostgres = async (code: string, message: string) => {
  const server = Net.createServer((socket) => {
    let buffered = Buffer.alloc(0)
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 8 && buffered.length >= buffered.readInt32BE(0)) {
        const length = buffered.readInt32BE(0)
        const request = buffered.readInt32BE(4)
        buffered = buffered.subarray(length)
        if (request === sslRequestCode) socket.write("N")
        else socket.end(errorResponse(code, message))
      }
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  servers.push(server)
  return (server.address() as Net.AddressInfo).port
}
const servers: Array<Net.Server> = []
afterAll(() => {
  for (const server of servers) server.close()
})

describe("PostgreSQL start failures, each named", () => {
  it.skipIf(postgresUrl === undefined)("a database that does not exist: its name and the createdb command", async () => {
    const url = new URL(postgresUrl!)
    const name = `zoo_missing_${process.pid}`
    url.pathname = `/${name}`
    const message = await failureOf({ DATABASE_URL: url.href })
    assert.strictEqual(
      message,
      `Zoo API could not start: database "${name}" does not exist on PostgreSQL at ${url.hostname}:${url.port || "5432"}\n` +
        `  create it with: createdb -h ${url.hostname} -p ${url.port || "5432"}${url.username ? ` -U ${url.username}` : ""} ${name}`
    )
  })

  it("a connection refused: the host and port", async () => {
    const port = await freePort()
    const message = await failureOf({ DATABASE_URL: `postgres://zoo@127.0.0.1:${port}/zoo` })
    assert.strictEqual(
      message,
      `Zoo API could not start: connection refused at 127.0.0.1:${port}\n  is PostgreSQL running there? Are the host and port in DATABASE_URL right?`
    )
  })

  it("a wrong password: authentication failed for the user, and no password in the message", async () => {
    const port = await refusingPostgres("28P01", "password authentication failed for user \"zoo\"")
    const message = await failureOf({ DATABASE_URL: `postgres://zoo:not-the-password@127.0.0.1:${port}/zoo` })
    assert.strictEqual(
      message,
      `Zoo API could not start: authentication failed for user zoo on PostgreSQL at 127.0.0.1:${port}\n  check the user and password in DATABASE_URL`
    )
    assert.notInclude(message, "not-the-password")
  })

  it("a server that requires TLS: says to add sslmode=require", async () => {
    const port = await refusingPostgres(
      "28000",
      "no pg_hba.conf entry for host \"127.0.0.1\", user \"zoo\", database \"zoo\", no encryption"
    )
    const message = await failureOf({ DATABASE_URL: `postgres://zoo@127.0.0.1:${port}/zoo` })
    assert.strictEqual(
      message,
      `Zoo API could not start: PostgreSQL at 127.0.0.1:${port} requires TLS (no pg_hba.conf entry for host "127.0.0.1", user "zoo", database "zoo", no encryption)\n` +
        "  add ?sslmode=require to DATABASE_URL"
    )
  })
})

const script = ["/usr/bin/script", "/bin/script"].find((path) => existsSync(path))
if (script === undefined) console.error("StartupErrors: the terminal case is skipped (no `script` from util-linux)")

/** The service started with a pseudo-terminal as its output (`script`), as a person's shell would: what it printed. */
const inTerminal = (env: Record<string, string>) =>
  new Promise<ReadonlyArray<string>>((resolve) => {
    execFile(script!, ["-qec", `${process.execPath} src/main.ts`, "/dev/null"], {
      cwd: projectDir,
      env: { ...serviceFree(process.env), API_KEYS: "k-startup", ...env },
      timeout: 30_000
    }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`.replace(/\r/g, "").trim().split("\n")))
  })

describe.skipIf(script === undefined)("how a failed start is printed in a terminal", () => {
  it("readable lines, not JSON", async () => {
    assert.deepStrictEqual(await inTerminal({ PORT: "abc", DATABASE_URL: "postgres://zoo@127.0.0.1:1/zoo" }), [
      "Zoo API could not start: invalid configuration:",
      "  - PORT: expected a string representing a finite number"
    ])
    const port = await freePort()
    assert.deepStrictEqual(await inTerminal({ PORT: String(await freePort()), DATABASE_URL: `postgres://zoo@127.0.0.1:${port}/zoo` }), [
      `Zoo API could not start: connection refused at 127.0.0.1:${port}`,
      "  is PostgreSQL running there? Are the host and port in DATABASE_URL right?"
    ])
  })

  it("in production: one JSON line all the same, for the log collector", async () => {
    const lines = await inTerminal({ NODE_ENV: "production", PORT: "abc", DATABASE_URL: "postgres://zoo@127.0.0.1:1/zoo" })
    assert.strictEqual(lines.length, 1, lines.join("\n"))
    const record = JSON.parse(lines[0]!)
    assert.strictEqual(record.level, "ERROR")
    assert.match(record.message, /^Zoo API could not start: invalid configuration:\n {2}- PORT: /)
  })
})
