/**
 * Who a write is done as: the credential `WriteAccess` accepted for the
 * request, provided to what runs inside it. Idempotency keys belong to it
 * (`src/Http/Idempotency.ts`), so one client's key is never replayed to
 * another. It carries the credential as `Redacted`; only its digest is ever
 * stored.
 */
import { Context, type Redacted } from "effect"

export type Principal =
  /** An `X-API-Key` from `API_KEYS`. */
  | { readonly scheme: "api-key"; readonly key: Redacted.Redacted<string> }
  /** A verified bearer token, and its `sub` claim when it has one. */
  | { readonly scheme: "bearer"; readonly subject: string | undefined; readonly token: Redacted.Redacted<string> }
  /** No access control ran (handler tests that let every write through). */
  | { readonly scheme: "none" }

export const Principal = Context.Reference<Principal>("zoo-api/Auth/Principal", {
  defaultValue: () => ({ scheme: "none" })
})
