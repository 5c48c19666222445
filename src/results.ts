/**
 * From server output lines to results: stdout/stderr joined without trimming, `timedOut` from the
 * server's timeout line, code `success` from uncaught-error markers (stderr alone never fails).
 * @module
 */
import type { OutputLine } from './types.ts'

const TIMEOUT_LINE = /^Error: Execution timed out after \d+ seconds?$/
/** Python's traceback header, and the `File "<stdin>"` line a SyntaxError starts with. */
const PYTHON_ERROR = /^(Traceback \(most recent call last\):|\s*File "<stdin>", line \d+)/
/** Node's REPL prefix for uncaught errors (on stdout at upstream, on stderr on the local server). */
const NODE_ERROR = /^Uncaught /
/** The local server's note when an interpreter died and was restarted. */
const INTERPRETER_DIED = /^Error: the (python|node(js)?) interpreter /i

/**
 * Joins the lines of one stream with "\n", as the server sent them.
 * @example
 * joinStream([{ stream: 'stdout', text: 'a' }, { stream: 'stdout', text: '' }], 'stdout') // 'a\n'
 */
export function joinStream(output: OutputLine[], stream: OutputLine['stream']): string {
  let text = ''
  let first = true
  for (const line of output) {
    if (line.stream !== stream) continue
    text = first ? line.text : `${text}\n${line.text}`
    first = false
  }
  return text
}

/** True when the server reported that the execution reached its timeout. */
export function replTimedOut(output: OutputLine[]): boolean {
  return output.some((l) => l.stream === 'stderr' && TIMEOUT_LINE.test(l.text))
}

/**
 * True when the code raised an uncaught error, timed out, or killed its interpreter.
 * @example
 * codeFailed([{ stream: 'stderr', text: 'Traceback (most recent call last):' }], 'python') // true
 */
export function codeFailed(output: OutputLine[], language: string): boolean {
  const marker = language === 'python' ? PYTHON_ERROR : NODE_ERROR
  for (const line of output) {
    if (language !== 'python' && marker.test(line.text)) return true
    if (line.stream !== 'stderr') continue
    if (marker.test(line.text) || TIMEOUT_LINE.test(line.text) || INTERPRETER_DIED.test(line.text)) return true
  }
  return false
}
