/**
 * JSON response bodies for values that are already in their wire shape:
 * our own rows, which passed their schema on the way in. Encoding them again
 * through the schema on every response re-runs every check and allocates an
 * effect per field — measured at 40 % of a `GET /animals/{id}` and most of a
 * list of 50. For a schema whose type is its encoded form (no transformation,
 * as every resource here), encoding is a projection onto the declared keys,
 * so it is compiled once, here, into a plain function. The contract keeps the
 * schema: the OpenAPI document, clients and request decoding still use it.
 */
import type { Schema, SchemaAST } from "effect"
import { type Headers, HttpServerResponse } from "effect/http"

type Project = (value: any) => unknown

const identity: Project = (value) => value

const refuse = (ast: SchemaAST.AST, why: string) => new Error(`JsonBody: ${String(ast)} ${why}; encode it with its schema`)

/**
 * The projection of a value onto what `ast` declares: objects keep their
 * declared keys in declaration order (nothing undeclared leaks), arrays are
 * projected element-wise, primitives are themselves. Throws, when the encoder
 * is made (at startup), for what a projection cannot encode.
 */
const compile = (ast: SchemaAST.AST): Project => {
  if (ast.encoding !== undefined) throw refuse(ast, "has a transformation")
  switch (ast._tag) {
    case "String":
    case "Number":
    case "Boolean":
    case "Literal":
    case "Null":
      return identity
    case "Union": {
      const members = ast.types.map(compile)
      if (members.every((member) => member === identity)) return identity
      throw refuse(ast, "is a union of structures")
    }
    case "Arrays": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw refuse(ast, "is a tuple")
      const element = compile(ast.rest[0]!)
      return element === identity ? identity : (values: ReadonlyArray<unknown>) => values.map(element)
    }
    case "Objects": {
      if (ast.indexSignatures.length > 0) throw refuse(ast, "has an index signature")
      const fields = ast.propertySignatures.map((property) => {
        if (typeof property.name !== "string") throw refuse(ast, "has a symbol key")
        return { name: property.name, project: compile(property.type) }
      })
      return (value: Record<string, unknown>) => {
        const projected: Record<string, unknown> = {}
        for (const { name, project } of fields) {
          const field = value[name]
          if (field !== undefined) projected[name] = project(field)
        }
        return projected
      }
    }
    default:
      throw refuse(ast, "is not plain JSON data")
  }
}

/** A value of `schema` as JSON text, without a per-response schema walk; see the module comment. */
export const makeJsonEncoder = <S extends Schema.Top>(schema: S): (value: S["Type"]) => string => {
  const project = compile(schema.ast)
  return (value) => JSON.stringify(project(value))
}

/** A JSON response of `status` with `headers`, its body made by an encoder from {@link makeJsonEncoder}. */
export const jsonResponse = (body: string, status: number, headers: Headers.Input): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(body, { status, contentType: "application/json", headers })
