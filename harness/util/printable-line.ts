/**
 * A node's output line as a log shows it: control characters (a raw frame's command byte, a stray
 * carriage return, an escape sequence that would rewrite the terminal showing the log) become `\xNN`.
 * Tabs are kept, and so are backslashes: a JSON log line stays JSON.
 */
export function printableLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
