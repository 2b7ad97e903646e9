/**
 * Schema failures of a request as a 400 problem a person can act on: each
 * entry names the field or query parameter in plain words
 * (`"name": must not be null — it is required`, `"colour": unknown field`,
 * `"specie": unknown query parameter`), and no schema identifier (such as
 * the name of a struct) ever reaches the message.
 */
import { Cause, Effect, ErrorReporter, Layer, SchemaAST, SchemaIssue } from "effect"
import { HttpApiError, HttpApiMiddleware } from "effect/http-api"
import { isProblem, problemResponse, statusProblem } from "./Problems.ts"

type HttpApiSchemaError = HttpApiError.HttpApiSchemaError

export interface ValidationIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/** What a schema expects, in words, from its structure (never its identifier). */
const describe = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "String":
    case "TemplateLiteral":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "true or false"
    case "Null":
      return "null"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Objects":
      return "a JSON object"
    case "Arrays":
      return "an array"
    case "Union": {
      const members = ast.types.filter((member) => member._tag !== "Undefined")
      return members.every((member) => member._tag === "Literal")
        ? `one of ${members.map(describe).join(", ")}`
        : members.map(describe).join(" or ")
    }
    case "Suspend":
      return describe(ast.thunk())
    default:
      return "a valid value"
  }
}

const defaultFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * The message effect's formatter gives an issue (a check's own message: length,
 * pattern, a real date, valid JSON, ...), worded to follow a field name.
 */
const plainMessage = (issue: SchemaIssue.Issue): string => {
  const message = defaultFormatter(issue).issues[0]?.message ?? "is not valid"
  // The default messages end with the input (`, got "Leo"`): the client knows what it sent.
  return message.replace(/, got [\s\S]*$/, "").replace(/^Expected /, "must be ").replace("a string representing a finite number", "a number")
}

/**
 * Whether `null` for `key` of the object schema `ast` is refused because the
 * field is required: a required property, or one a merge patch may leave out
 * but not remove (a merge patch is the object whose every property is optional).
 */
const isRequired = (ast: SchemaAST.AST | undefined, key: PropertyKey | undefined) =>
  ast?._tag === "Objects" &&
  (ast.propertySignatures.some((property) => property.name === key && !SchemaAST.isOptional(property.type)) ||
    ast.propertySignatures.every((property) => SchemaAST.isOptional(property.type)))

const isNull = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>) =>
  path.length > 0 && SchemaIssue.hasInput(issue) && issue.input === null

const nullMessage = (parent: SchemaAST.AST | undefined, path: ReadonlyArray<PropertyKey>) =>
  isRequired(parent, path.at(-1)) ? "must not be null — it is required" : "must not be null — leave it out instead"

type Slot = "body" | "query" | "path" | "headers"

const unknownKey: Record<Slot, string> = {
  body: "unknown field",
  query: "unknown query parameter",
  path: "unknown path parameter",
  headers: "unknown header"
}

const collect = (
  issue: SchemaIssue.Issue,
  slot: Slot,
  path: ReadonlyArray<PropertyKey>,
  parent: SchemaAST.AST | undefined,
  out: Array<{ readonly path: ReadonlyArray<PropertyKey>; readonly text: string }>
): void => {
  const add = (text: string): void => {
    out.push({ path, text })
  }
  switch (issue._tag) {
    case "Pointer":
      return collect(issue.issue, slot, [...path, ...issue.path], parent, out)
    case "Composite":
      return issue.issues.forEach((inner) => collect(inner, slot, path, issue.ast, out))
    case "Encoding":
      return issue.issue._tag === "InvalidValue" || issue.issue._tag === "InvalidType"
        ? add(`must be ${describe(SchemaAST.toEncoded(issue.ast))}`)
        : collect(issue.issue, slot, path, parent, out)
    case "Filter":
      return add(plainMessage(issue))
    case "AnyOf":
      if (issue.issues.length > 0) return issue.issues.forEach((inner) => collect(inner, slot, path, parent, out))
      return add(isNull(issue, path) ? nullMessage(parent, path) : `must be ${describe(issue.ast)}`)
    case "MissingKey":
      return add("is required")
    case "UnexpectedKey":
      return add(unknownKey[slot])
    case "InvalidType":
      return add(isNull(issue, path) ? nullMessage(parent, path) : `must be ${describe(issue.ast)}`)
    case "InvalidValue":
    case "OneOf":
    case "Forbidden":
      return add(plainMessage(issue))
  }
}

const slots: Record<HttpApiSchemaError["kind"], Slot> = {
  Body: "body",
  Payload: "body",
  Query: "query",
  Params: "path",
  Headers: "headers",
  ResponseHeaders: "headers"
}

/** The problem entries of a request's schema failure: path `[slot, ...field]`, and a message naming the field. */
export const issuesOf = (error: HttpApiSchemaError): ReadonlyArray<ValidationIssue> => {
  const slot = slots[error.kind]
  const found: Array<{ readonly path: ReadonlyArray<PropertyKey>; readonly text: string }> = []
  collect(error.cause.issue, slot, [], undefined, found)
  return found.map(({ path, text }) => {
    const segments = path.map((key) => (typeof key === "number" ? key : String(key)))
    // A repeated query parameter (`?species=a&species=b`) is named once, not by its position.
    const named = slot === "query" ? segments.filter((key) => typeof key === "string") : segments
    const name = named.length === 0 ? `the ${slot === "body" ? "request body" : slot}` : `"${named.join(".")}"`
    return { path: [error.kind.toLowerCase(), ...segments], message: `${name}: ${text}` }
  })
}

/**
 * The service's `ProblemDetails` middleware, around every endpoint: a request
 * that fails decoding is a 400 listing every issue (see {@link issuesOf}); a
 * response that fails encoding is a defect, reported and answered 500 with no
 * detail; and a handler's typed problem (`AnimalNotFound` ...) becomes its
 * response here, naming its request (`Problems.ts`), instead of being encoded
 * by the endpoint and read back.
 */
export const layer: Layer.Layer<HttpApiMiddleware.ProblemDetails> = Layer.succeed(
  HttpApiMiddleware.ProblemDetails,
  (httpEffect) =>
    Effect.catch(httpEffect, (error) => {
      if (HttpApiError.HttpApiSchemaError.is(error)) {
        return error.kind === "Body" || error.kind === "ResponseHeaders"
          ? Effect.andThen(ErrorReporter.report(Cause.fail(error)), problemResponse(new HttpApiError.InternalServerErrorProblem()))
          // `BadRequestProblem`'s members as a plain value: its class would check every entry again per request.
          : problemResponse(statusProblem(400, { detail: "Request validation failed", errors: issuesOf(error) }))
      }
      if (!isProblem(error)) return Effect.fail(error)
      // Ours to fix (a 503: the database is down): reported as the endpoint would have.
      return error.status >= 500
        ? Effect.andThen(ErrorReporter.report(Cause.fail(error)), problemResponse(error))
        : problemResponse(error)
    })
)
