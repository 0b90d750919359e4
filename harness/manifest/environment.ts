import { fieldName } from './manifest-fields';

/**
 * `${NAME}` and `${NAME:-default}` in a manifest's strings, filled in from the environment `verify`
 * runs in, as a shell or docker compose would: CI secrets, paths and ports stay out of the file.
 * `$${` stands for a literal `${`. A variable that is not set and has no default is an error naming
 * the field, never an empty string that would start a node with a broken command line.
 */
const REFERENCE = /\$(\$)?\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Expanded {
  value: unknown;
  /** One line per reference that could not be filled in, naming its field. */
  problems: string[];
}

export function expandEnvironment(document: unknown, env: NodeJS.ProcessEnv): Expanded {
  const problems: string[] = [];
  const expandText = (text: string, pointer: string): string =>
    text.replace(REFERENCE, (whole, escaped: string | undefined, inner: string) => {
      if (escaped) return whole.slice(1);
      const separator = inner.indexOf(':-');
      const name = separator < 0 ? inner : inner.slice(0, separator);
      if (!NAME.test(name)) {
        problems.push(`${fieldName(pointer)}: "${whole}" is not an environment variable reference (write \${NAME} or \${NAME:-default}; $\${ for a literal \${)`);
        return whole;
      }
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (separator >= 0) return inner.slice(separator + 2);
      problems.push(`${fieldName(pointer)}: environment variable ${name} is not set (give a default with \${${name}:-value})`);
      return whole;
    });
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === 'string') return expandText(value, pointer);
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${pointer}/${index}`));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, `${pointer}/${key}`)]));
    return value;
  };
  return { value: walk(document, ''), problems };
}
