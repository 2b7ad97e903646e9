/**
 * Serves `src/web.ts` on Deno or Bun, for test/Runtimes.test.ts:
 * `deno run -A test/support/web-server.ts PORT` or `bun test/support/web-server.ts PORT`.
 * Prints `listening <runtime> <port>` once it serves.
 */
import { makeWebHandler } from "../../src/web.ts"

declare const Deno: { serve: (options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>) => unknown } | undefined
declare const Bun: { serve: (options: { port: number; hostname: string; fetch: (request: Request) => Promise<Response> }) => unknown } | undefined

const port = Number(globalThis.process?.argv?.at(-1) ?? (globalThis as any).Deno?.args?.[0])
const { handler } = makeWebHandler()

if (typeof Deno !== "undefined") {
  Deno.serve({ port, hostname: "127.0.0.1", onListen: () => console.info(`listening deno ${port}`) }, (request) => handler(request))
} else if (typeof Bun !== "undefined") {
  Bun.serve({ port, hostname: "127.0.0.1", fetch: (request) => handler(request) })
  console.info(`listening bun ${port}`)
} else {
  throw new Error("run me with deno or bun")
}
