/**
 * The fenced code blocks of a Markdown document, and the convention by which a
 * document shows what a command answers, for test/Walkthrough.test.ts.
 *
 * - A ```sh, ```bash or ```ts block is a step to run.
 * - The fenced blocks that follow it at once (nothing but blank lines between)
 *   show what it answers:
 *   ```http: a status line (`HTTP/1.1 201 Created`), then headers that must be
 *   there (`…` matches anything), then optionally a blank line and a JSON body;
 *   ```json: the JSON body (the output after the headers, if any);
 *   ```text: the output itself, line by line (a line `…` alone stands for any
 *   number of lines, such as log lines).
 * - In shown JSON, `"…"` matches any value, a string with `…` in it matches
 *   any string with the same text around it, and a key `"…"` stands for any
 *   other keys. Objects list keys that must be there; arrays are compared
 *   element by element, with their length.
 */
export interface DocBlock {
  readonly lang: string
  readonly code: string
  /** The line of the opening fence, 1-based. */
  readonly line: number
}

export interface Step {
  readonly block: DocBlock
  readonly expected: ReadonlyArray<DocBlock>
}

const runnable = new Set(["sh", "bash", "ts"])
const shown = new Set(["http", "json", "text"])

export const parseBlocks = (markdown: string): ReadonlyArray<DocBlock & { readonly endLine: number }> => {
  const lines = markdown.split("\n")
  const blocks: Array<DocBlock & { endLine: number }> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!)
    if (open === null) continue
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    blocks.push({ lang: open[1]!, code: body.join("\n"), line: start + 1, endLine: i + 1 })
  }
  return blocks
}

/** The steps of a document, each with the blocks that show its answer. */
export const parseSteps = (markdown: string): ReadonlyArray<Step> => {
  const lines = markdown.split("\n")
  const blocks = parseBlocks(markdown)
  const steps: Array<Step> = []
  blocks.forEach((block, index) => {
    if (!runnable.has(block.lang)) return
    const expected: Array<DocBlock> = []
    let previousEnd = block.endLine
    for (const next of blocks.slice(index + 1)) {
      const between = lines.slice(previousEnd, next.line - 1)
      if (!shown.has(next.lang) || between.some((line) => line.trim() !== "")) break
      expected.push(next)
      previousEnd = next.endLine
    }
    steps.push({ block, expected })
  })
  return steps
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `…` in `pattern` matches any text. */
export const matchesText = (pattern: string, actual: string) =>
  new RegExp(`^${pattern.split("…").map(escape).join("[\\s\\S]*")}$`).test(actual)

/** Where `actual` differs from what `expected` shows, as a list of complaints. */
export const jsonMismatches = (expected: unknown, actual: unknown, path = "$"): ReadonlyArray<string> => {
  if (typeof expected === "string") {
    if (expected === "…") return []
    return typeof actual === "string" && matchesText(expected, actual)
      ? []
      : [`${path}: shown ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`]
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${path}: shown an array of ${expected.length}, got ${JSON.stringify(actual)}`]
    }
    return expected.flatMap((item, i) => jsonMismatches(item, actual[i], `${path}[${i}]`))
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: shown an object, got ${JSON.stringify(actual)}`]
    }
    return Object.entries(expected).flatMap(([key, value]) =>
      key === "…"
        ? []
        : key in actual
        ? jsonMismatches(value, (actual as Record<string, unknown>)[key], `${path}.${key}`)
        : [`${path}: shown key "${key}" is missing in ${JSON.stringify(actual)}`]
    )
  }
  return Object.is(expected, actual) ? [] : [`${path}: shown ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`]
}

/** An HTTP response as `curl -i` / `curl -D -` print it: status, headers, body. */
export const splitResponse = (output: string) => {
  // The last response when curl followed none: a `HTTP/` line starts the headers.
  const start = output.lastIndexOf("HTTP/")
  if (start === -1) return undefined
  const text = output.slice(start).replace(/\r\n/g, "\n")
  const end = text.indexOf("\n\n")
  const head = end === -1 ? text : text.slice(0, end)
  const body = end === -1 ? "" : text.slice(end + 2)
  const [statusLine = "", ...headerLines] = head.split("\n")
  const headers = new Map<string, Array<string>>()
  for (const line of headerLines) {
    const colon = line.indexOf(":")
    if (colon === -1) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()])
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body }
}

/** Where `output` differs from the blocks that show it. */
export const outputMismatches = (expected: ReadonlyArray<DocBlock>, output: string): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const response = splitResponse(output)
  let body = response?.body ?? output
  for (const block of expected) {
    if (block.lang === "text") {
      const pattern = block.code.trimEnd().split("\n").map((line) =>
        line === "…" ? "(?:[^\\n]*\\n)*?" : `${line.split("…").map(escape).join("[^\\n]*")}\\n`
      ).join("")
      if (!new RegExp(`^${pattern}$`).test(`${output.trimEnd()}\n`)) {
        problems.push(`output shown as\n${block.code}\nbut was\n${output}`)
      }
      continue
    }
    if (block.lang === "http") {
      if (response === undefined) {
        problems.push(`an HTTP response is shown, but the output has none:\n${output}`)
        continue
      }
      const [statusLine = "", ...rest] = block.code.split("\n")
      const status = Number(statusLine.split(" ")[1])
      if (status !== response.status) problems.push(`shown status ${status}, got ${response.status}:\n${output}`)
      const blank = rest.findIndex((line) => line.trim() === "")
      const headerLines = blank === -1 ? rest : rest.slice(0, blank)
      for (const line of headerLines) {
        const colon = line.indexOf(":")
        const name = line.slice(0, colon).trim().toLowerCase()
        const value = line.slice(colon + 1).trim()
        const values = response.headers.get(name) ?? []
        if (!values.some((actual) => matchesText(value, actual))) {
          problems.push(`shown header "${line}", got ${values.length === 0 ? "none" : values.join(" | ")}`)
        }
      }
      if (blank !== -1 && rest.slice(blank).join("\n").trim() !== "") {
        problems.push(...jsonBodyMismatches(rest.slice(blank).join("\n"), body))
      }
      continue
    }
    problems.push(...jsonBodyMismatches(block.code, body))
    body = ""
  }
  return problems
}

const jsonBodyMismatches = (shownText: string, body: string): ReadonlyArray<string> => {
  let actual: unknown
  try {
    actual = JSON.parse(body)
  } catch {
    return [`a JSON body is shown, but the output is not JSON:\n${body}`]
  }
  return jsonMismatches(JSON.parse(shownText), actual)
}
