/**
 * The probes of orchestrators and load balancers: `/healthz` and `/readyz`.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { DatabaseUnavailable } from "./Errors.ts"

const Health = Schema.Struct({
  status: Schema.Literals(["ok", "ready"]).annotate({ description: "`ok`: the process runs; `ready`: it can serve requests" })
}).annotate({ identifier: "Health" })

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Health })
      .annotate(OpenApi.Summary, "Liveness: the process is up")
      .annotate(OpenApi.Description, "Answers 200 while the process runs, whatever the database does. For restart decisions."),
    HttpApiEndpoint.get("readyz", "/readyz", { success: Health, error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "Readiness: the database answers")
      .annotate(OpenApi.Description, "503 while the database is unreachable. For load balancers: take the replica out, not down.")
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "Probes for orchestrators and load balancers" }))
{}
