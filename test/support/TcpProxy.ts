/**
 * A TCP proxy on 127.0.0.1 that a test can cut and restore, to take a
 * database away from a running service without touching the database server.
 *
 * - `cut("refuse")`: every live connection is destroyed and the listener
 *   closed, so new connections are refused (ECONNREFUSED).
 * - `cut("hang")`: every live connection is destroyed; new connections are
 *   accepted but never forwarded nor answered (a blackholed peer).
 * - `cut("freeze")`: nothing is closed, nothing moves: live connections stop
 *   forwarding in both directions and new ones are accepted but never
 *   answered, as in a network partition where packets are silently dropped.
 * - `restore()`: forwards new connections again; connections held by "hang"
 *   and "freeze" are dropped. A no-op when nothing is cut.
 */
import * as Net from "node:net"

export type CutMode = "refuse" | "hang" | "freeze"

export interface TcpProxy {
  readonly port: number
  /** Client connections accepted since the proxy started. */
  readonly accepted: () => number
  readonly cut: (mode: CutMode) => Promise<void>
  readonly restore: () => Promise<void>
  readonly close: () => Promise<void>
}

export const startTcpProxy = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  let mode: CutMode | "open" = "open"
  let accepted = 0
  const sockets = new Set<Net.Socket>()
  const track = (socket: Net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
  }
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy()
  }

  const server = Net.createServer((client) => {
    accepted++
    track(client)
    if (mode !== "open") return // "hang" and "freeze": accepted, never answered
    const upstream = Net.connect({ host: target.host, port: target.port })
    track(upstream)
    // Forwarding checks the mode on every chunk, so "freeze" stops it in place.
    client.on("data", (chunk) => {
      if (mode === "open") upstream.write(chunk)
    })
    upstream.on("data", (chunk) => {
      if (mode === "open") client.write(chunk)
    })
    client.once("close", () => upstream.destroy())
    upstream.once("close", () => client.destroy())
  })

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject)
        resolve()
      })
    })
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve()
      // The callback waits for the connections too: they are destroyed right after.
      server.close(() => resolve())
    })

  await listen(0)
  const port = (server.address() as Net.AddressInfo).port

  return {
    port,
    accepted: () => accepted,
    cut: async (next) => {
      mode = next
      if (next === "refuse") {
        const closed = stopListening()
        destroyAll()
        await closed
      } else if (next === "hang") {
        destroyAll()
      }
    },
    restore: async () => {
      if (mode === "open") return
      destroyAll() // those held by "hang" and "freeze": they were never or no longer forwarded
      mode = "open"
      if (!server.listening) await listen(port)
    },
    close: async () => {
      mode = "refuse"
      const closed = stopListening()
      destroyAll()
      await closed
    }
  }
}
