/**
 * A configuration file's text as data: JSON for a `.json` name, YAML (1.2, a superset of JSON) for
 * any other. Either the value or one line per syntax error, for the caller to put in its own error.
 */
export function parseStructuredText(text: string, file: string): { value: unknown } | { problems: string[] } {
  if (/\.json$/i.test(file)) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { problems: [`not valid JSON: ${(error as Error).message}`] };
    }
  }
  // Loaded here: JSON needs none of it, and the commands that start most often read no file at all.
  const { parseDocument } = require('yaml') as typeof import('yaml');
  // logLevel 'error': a schema check after parsing explains a mistake better than a YAML warning on stderr.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (document.errors.length > 0) {
    // The first line says what and where; the rest is an excerpt, which the colon introduces.
    return { problems: document.errors.map((error) => `not valid YAML: ${error.message.split('\n')[0]!.replace(/:\s*$/, '')}`) };
  }
  return { value: document.toJS({ maxAliasCount: 100 }) as unknown };
}
