import type { DriverReport } from '../../reference/drivers/protocol';

/** A stdout line that is a JSON object with a string `type` is a driver report; any other line is log. */
export function parseReportLine(line: string): DriverReport | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string') return parsed as DriverReport;
  } catch {
    // not JSON: a log line
  }
  return undefined;
}
