/** The scenario table of a report.html, one `verdict | feature:line | name | profile` line per row, unescaped. */
export function htmlReportRows(html: string): string[] {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const row = /<tr class="scenario \w+"[^>]*><td class="verdict">(\w+)[^<]*(?:<span[^>]*>[^<]*<\/span>)?<\/td><td class="feature"><code>([^<]*)<\/code><\/td><td class="name">([^<]*)<\/td><td class="profile">([^<]*)<\/td>/g;
  return [...html.matchAll(row)].map((m) => [m[1], unescape(m[2]), unescape(m[3]), m[4]].join(' | '));
}
