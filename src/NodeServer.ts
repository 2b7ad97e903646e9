/**
 * The Node HTTP server under the app, with the limits a public service
 * needs below HTTP:
 *
 * - **Timeouts**, set deliberately rather than left to Node's defaults:
 *   headers must arrive within `HEADERS_TIMEOUT` (Node: 60 s), the whole
 *   request within `REQUEST_TIMEOUT` (Node: 300 s), and a connection idle
 *   between requests is closed after `KEEP_ALIVE_TIMEOUT`. Node checks them
 *   every second here (its default is every 30 s).
 * - **At most `MAX_CONNECTIONS` open connections.** One more arrives: the
 *   oldest connection that has not yet sent a whole request (idle, or
 *   trickling its headers) is closed to make room; only when every
 *   connection is serving a request is the newcomer refused. So a flood of
 *   idle sockets cannot take the file descriptors, and `/healthz` keeps
 *   answering others. A warning is logged when the limit is reached (once,
 *   until the connections fall below nine tenths of it again).
 * - **What Node's parser refuses** (a malformed request line, headers over
 *   the limit, a request not received in time) gets a problem body with a
 *   request id, like every other error, instead of Node's bare reply.
 * - **Shutdown within `SHUTDOWN_TIMEOUT`**: at the deadline, connections
 *   still open (a client stalled mid-upload) are cut, so the process exits.
 */
import { Duration, Effect } from "effect"
import * as Http from "node:http"
import type * as Net from "node:net"
import { statusTitles } from "./Errors.ts"

export interface ServerLimits {
  /** `MAX_CONNECTIONS`: open connections at most. */
  readonly maxConnections: number
  /** `HEADERS_TIMEOUT`: how long a client may take to send the request's headers. */
  readonly headersTimeout: Duration.Duration
  /** `REQUEST_TIMEOUT`: how long a client may take to send the whole request, body included. */
  readonly requestTimeout: Duration.Duration
  /** `KEEP_ALIVE_TIMEOUT`: how long a connection may stay idle between requests. */
  readonly keepAliveTimeout: Duration.Duration
  /** `SHUTDOWN_TIMEOUT`: after `close`, connections still open are cut this much later. */
  readonly shutdownTimeout: Duration.Duration
}

/** How often Node looks for requests over their header or request timeout. */
const timeoutCheckInterval = 1_000

/** Why Node refused what it read, as a status and a sentence (Node's error codes: `HPE_*`, `ERR_HTTP_*`). */
const refusal = (code: string | undefined): { readonly status: number; readonly detail: string } => {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, detail: "The request's headers are larger than this server accepts" }
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, detail: "The request was not received in time" }
    default:
      return { status: 400, detail: "The request is not valid HTTP/1.1" }
  }
}

/** A whole HTTP/1.1 response, written straight to the socket: Node has no request or response object for it. */
const rawProblem = (status: number, detail: string, requestId: string) => {
  const title = statusTitles[status] ?? Http.STATUS_CODES[status] ?? "Error"
  const body = JSON.stringify({ type: "about:blank", title, status, detail, request_id: requestId })
  return [
    `HTTP/1.1 ${status} ${title}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "X-Content-Type-Options: nosniff",
    `X-Request-Id: ${requestId}`,
    "Connection: close",
    "",
    body
  ].join("\r\n")
}

/**
 * Node's `close` stops accepting and waits for every open connection to
 * end, however long a client takes; this one cuts the connections still
 * open once `shutdownMillis` have passed.
 */
class Server extends Http.Server {
  readonly shutdownMillis: number
  constructor(options: Http.ServerOptions, shutdownMillis: number) {
    super(options)
    this.shutdownMillis = shutdownMillis
  }

  override close(callback?: (error?: Error) => void): this {
    setTimeout(() => this.closeAllConnections(), this.shutdownMillis).unref()
    return super.close(callback)
  }
}

/**
 * A Node `http.Server` with the limits above, for `NodeHttpServer.layer`.
 * Its log lines go through the current logger (JSON lines on stdout).
 */
export const make = Effect.fnUntraced(function*(limits: ServerLimits) {
  const runFork = Effect.runForkWith(yield* Effect.context<never>())
  const server = new Server({
    headersTimeout: Duration.toMillis(limits.headersTimeout),
    requestTimeout: Duration.toMillis(limits.requestTimeout),
    keepAliveTimeout: Duration.toMillis(limits.keepAliveTimeout),
    connectionsCheckingInterval: timeoutCheckInterval
  }, Duration.toMillis(limits.shutdownTimeout))

  // Open connections, oldest first, and the response each one is (or was last) serving.
  const open = new Set<Net.Socket>()
  const responses = new WeakMap<Net.Socket, Http.ServerResponse>()
  const track = (request: Http.IncomingMessage, response: Http.ServerResponse) => responses.set(request.socket, response)
  server.on("request", track)
  server.on("checkContinue", track)

  let atLimit = false
  const rearmBelow = Math.floor(limits.maxConnections * 0.9)
  server.on("connection", (socket: Net.Socket) => {
    open.add(socket)
    socket.once("close", () => {
      open.delete(socket)
      if (atLimit && open.size < rearmBelow) atLimit = false
    })
    if (open.size <= limits.maxConnections) return
    if (!atLimit) {
      atLimit = true
      runFork(Effect.logWarning(
        `MAX_CONNECTIONS (${limits.maxConnections}) reached: closing connections that have sent no request, refusing new ones while every connection is busy`
      ))
    }
    for (const candidate of open) {
      if (candidate !== socket && !responses.has(candidate)) return candidate.destroy()
    }
    socket.destroy()
  })

  server.on("clientError", (error: Error & { readonly code?: string }, socket: Net.Socket) => {
    const response = responses.get(socket)
    // As Node does: no reply on a reset or closed socket, nor inside a response already under way.
    if (error.code === "ECONNRESET" || !socket.writable || (response !== undefined && response.headersSent && !response.writableEnded)) {
      return socket.destroy()
    }
    const { detail, status } = refusal(error.code)
    const requestId = globalThis.crypto.randomUUID()
    socket.end(rawProblem(status, detail, requestId))
    runFork(Effect.logInfo("http").pipe(Effect.annotateLogs({
      request_id: requestId,
      status,
      reason: error.code ?? "unknown",
      client: socket.remoteAddress ?? "unknown"
    })))
  })

  return server
})
