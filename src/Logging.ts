/**
 * The service's log lines: one JSON object per line, in effect's structured
 * shape (`message`, `level`, `timestamp`, `cause`, `annotations`, `spans`,
 * `fiberId`), written to stdout in batches.
 */
import { Effect, Logger, type LogLevel, References } from "effect"

const isPlain = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"

const allPlain = (record: Readonly<Record<string, unknown>>) => {
  for (const key in record) if (!isPlain(record[key])) return false
  return true
}

const levelNames: Readonly<Record<LogLevel.LogLevel, string>> = {
  All: "ALL",
  Trace: "TRACE",
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARN",
  Error: "ERROR",
  Fatal: "FATAL",
  None: "NONE"
}

/** An ISO timestamp formatter that keeps the last text: under load many lines share a millisecond. */
const makeTimestamps = () => {
  let lastMillis = Number.NaN
  let lastTimestamp = ""
  return (date: Date) => {
    const millis = date.getTime()
    if (millis !== lastMillis) {
      lastMillis = millis
      lastTimestamp = date.toISOString()
    }
    return lastTimestamp
  }
}

/**
 * `Logger.formatJson`, made per logger (it keeps its own last timestamp),
 * with a fast path for the common line — a text message, plain
 * annotations, no cause, no log spans, as every access line is. There
 * is nothing in such a line for the full formatter's replacer to redact or
 * untangle, and it costs several times a plain `JSON.stringify` per request.
 * Everything else (a cause, a `Redacted` or structured value) takes the full
 * formatter, redaction included.
 */
export const makeFormatJson = () => {
  const timestampOf = makeTimestamps()
  return Logger.make((options) => {
    const { cause, date, fiber, logLevel, message } = options
    const text = Array.isArray(message) && message.length === 1 ? message[0] : message
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    if (cause.reasons.length > 0 || typeof text !== "string" || fiber.getRef(References.CurrentLogSpans).length > 0 || !allPlain(annotations)) {
      return Logger.formatJson.log(options)
    }
    return JSON.stringify({
      message: text,
      level: levelNames[logLevel],
      timestamp: timestampOf(date),
      annotations,
      spans: {},
      fiberId: `#${fiber.id}`
    })
  })
}

/**
 * JSON lines on stdout, written every 50 ms: one write per batch instead of
 * one per request (a synchronous write each was a tenth of the CPU under
 * load). A `kill -9` can lose the last 50 ms of lines.
 */
export const layerJsonStdout = Logger.layer([
  Effect.suspend(() =>
    Logger.batched(makeFormatJson(), {
      window: "50 millis",
      flush: (lines) => Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
    })
  )
])
