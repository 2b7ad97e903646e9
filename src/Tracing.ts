/**
 * Traces: exported over OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT`
 * is set — a span per request, per handler and repository call (their
 * `Effect.fn` names) and per SQL statement. Otherwise spans are not even
 * recorded: tracing costs nothing per request unless someone reads it.
 */
import { Layer, References } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpSerialization, OtlpTracer } from "effect/observability"

export interface TracingConfig {
  /** The collector's base URL; traces go to `<endpoint>/v1/traces`. */
  readonly endpoint: string | undefined
  readonly serviceName: string
}

export const layer = (config: TracingConfig) =>
  config.endpoint === undefined
    ? Layer.succeed(References.TracerEnabled, false)
    : OtlpTracer.layer({
      url: new URL("v1/traces", config.endpoint.endsWith("/") ? config.endpoint : `${config.endpoint}/`).href,
      resource: { serviceName: config.serviceName },
      exportInterval: "1 second"
    }).pipe(Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer]))
