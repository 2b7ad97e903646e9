/**
 * Who may write: the contract side of access control. Reads are
 * public; every write endpoint carries the {@link WriteAccess} middleware,
 * which accepts an `X-API-Key` or an `Authorization: Bearer <JWT>` and answers
 * 401 or 403 problems otherwise. Declared here, with the schemes and the
 * problems, the OpenAPI document lists both schemes and both responses on
 * every write operation. The implementation (`WriteAccessLive.ts`) is server
 * code and is not imported from here.
 */
import { Context, Schema } from "effect"
import { HttpApiError, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "effect/http-api"
import { problemType } from "../Errors.ts"

/** The protection space named in every challenge (RFC 9110 §11.5). */
export const realm = "zoo-api"

/** A scope a bearer token needs to write, e.g. `write:animals`. API keys hold every one. */
export type WriteScope = `write:${string}`

/**
 * The scope a write endpoint requires, as an annotation: on the endpoint, or
 * on its group for every write endpoint of the group (the endpoint's wins).
 */
export class RequiredScope extends Context.Service<RequiredScope, WriteScope>()("zoo-api/Auth/RequiredScope") {}

/** `X-API-Key: <key>`: keys from `API_KEYS`; a key may do every write. */
export const apiKeyScheme = HttpApiSecurity.apiKey({ key: "X-API-Key", in: "header" }).pipe(
  HttpApiSecurity.annotate(
    OpenApi.Description,
    "A key from the service's `API_KEYS`. A key may do every write (it holds every scope)."
  )
)

/** `Authorization: Bearer <JWT>`: an RS256 access token (Auth0-compatible) carrying the scope of the write. */
export const bearerScheme = HttpApiSecurity.bearer.pipe(
  HttpApiSecurity.annotate(OpenApi.Format, "JWT"),
  HttpApiSecurity.annotate(
    OpenApi.Description,
    [
      "An RS256 access token from the identity provider (`AUTH_ISSUER`, audience `AUTH_AUDIENCE`), verified against its JWKS.",
      "A write needs the scope of the collection it writes: `write:animals`, `write:habitats` or `write:zookeepers`",
      "(assigning an animal to a zookeeper writes the zookeeper), in the space-separated `scope` claim or the `permissions` array.",
      "Verified as RFC8725 (JSON Web Token Best Current Practices) asks: one algorithm accepted (RS256), never `none`,",
      "the signing key found by `kid` in the provider's JWKS, and `iss`, `aud` and `exp` (required) checked."
    ].join(" ")
  )
)

/** Why credentials were refused: none at all, or ones that do not hold. */
const UnauthorizedReason = Schema.Literals(["missing_credentials", "invalid_api_key", "invalid_token"]).annotate({
  description: "`missing_credentials`: no `X-API-Key` and no bearer token; `invalid_api_key`: the key is not one of ours; " +
    "`invalid_token`: the token is malformed, expired, not for this API, or its signature does not verify"
})

/**
 * The write needs credentials, and the request had none, or none that hold
 * (401). The challenge follows RFC 6750 §3: no error code when nothing was
 * sent, `invalid_token` when what was sent was refused.
 */
export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: problemType("unauthorized"),
  status: 401,
  title: "Unauthorized"
}, {
  reason: UnauthorizedReason
}) {
  static readonly missing = new Unauthorized({
    reason: "missing_credentials",
    detail: "This operation needs an X-API-Key header or an Authorization: Bearer token"
  })
  static readonly invalidApiKey = new Unauthorized({ reason: "invalid_api_key", detail: "The API key is not valid" })
  static readonly invalidToken = (detail: string) => new Unauthorized({ reason: "invalid_token", detail })

  /** The `WWW-Authenticate` challenge that goes with this problem. */
  get challenge(): string {
    return this.reason === "missing_credentials" ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`
  }

  /** The headers its response carries (the document declares them below). */
  get responseHeaders() {
    return { "www-authenticate": this.challenge }
  }
}

/** A valid token without the scope the write needs (403, RFC 6750 `insufficient_scope`). */
export class Forbidden extends HttpApiError.Problem<Forbidden>()("Forbidden", {
  type: problemType("insufficient-scope"),
  status: 403,
  title: "Forbidden"
}, {
  required_scope: Schema.String.annotate({ description: "The scope this operation needs", examples: ["write:animals"] })
}) {
  static readonly of = (scope: WriteScope) =>
    new Forbidden({ required_scope: scope, detail: `The token does not grant ${scope}` })

  /** The `WWW-Authenticate` challenge that goes with this problem. */
  get challenge(): string {
    return `Bearer realm="${realm}", error="insufficient_scope", scope="${this.required_scope}"`
  }

  /** The headers its response carries (the document declares them below). */
  get responseHeaders() {
    return { "www-authenticate": this.challenge }
  }
}

/**
 * The identity provider's signing keys (its JWKS) could not be fetched, so no
 * token can be verified now (503). API keys still work.
 */
export class TokenKeysUnavailable extends HttpApiError.Problem<TokenKeysUnavailable>()("TokenKeysUnavailable", {
  type: problemType("token-keys-unavailable"),
  status: 503,
  title: "Service Unavailable"
}) {
  static readonly instance = new TokenKeysUnavailable({
    detail: "The keys that verify access tokens cannot be fetched now; try again shortly, or use an API key"
  })
}

const WwwAuthenticate = Schema.String.annotate({
  description: "The challenge (RFC 6750 §3): `Bearer realm=\"zoo-api\"` when no credentials were sent, " +
    "with `error=\"invalid_token\"` when they were refused, `error=\"insufficient_scope\"` and the `scope` needed on a 403"
})

/** The 401 response: the problem, and its challenge in `WWW-Authenticate`. */
const UnauthorizedResponse = Unauthorized.pipe(HttpApiSchema.encodeToWithHeaders({
  body: Unauthorized,
  headers: { "www-authenticate": WwwAuthenticate }
}, {
  decode: ({ body }) => body,
  encode: (problem) => ({ body: problem, headers: problem.responseHeaders })
}))

/** The 403 response: the problem, and its `insufficient_scope` challenge. */
const ForbiddenResponse = Forbidden.pipe(HttpApiSchema.encodeToWithHeaders({
  body: Forbidden,
  headers: { "www-authenticate": WwwAuthenticate }
}, {
  decode: ({ body }) => body,
  encode: (problem) => ({ body: problem, headers: problem.responseHeaders })
}))

/**
 * Guards a write endpoint: an `X-API-Key` from `API_KEYS`, or a bearer token
 * holding the endpoint's {@link RequiredScope}. Runs before the request's
 * path, headers and body are decoded, so a bad credential is a 401 whatever
 * else is wrong with the request.
 */
export class WriteAccess extends HttpApiMiddleware.Service<WriteAccess>()("zoo-api/Auth/WriteAccess", {
  security: { apiKey: apiKeyScheme, bearer: bearerScheme },
  error: [UnauthorizedResponse, ForbiddenResponse, TokenKeysUnavailable]
}) {}

/** One of each problem, for the OpenAPI examples. */
export const writeAccessProblemExamples = [
  Unauthorized.missing,
  Forbidden.of("write:animals"),
  TokenKeysUnavailable.instance
]
