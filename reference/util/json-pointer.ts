/**
 * A JSON pointer as a person writes the field: `/roles/broker/command/0` → `roles.broker.command[0]`;
 * the document itself is ''. Used to name the field a schema error is about.
 */
export function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}

/** A value as JSON, cut to 60 characters, for an error message. */
export function shownValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
