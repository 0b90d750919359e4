/** `/roles/broker/command/0` → `roles.broker.command[0]`; the document itself is `(manifest)`. */
export function fieldName(pointer: string): string {
  if (pointer === '') return '(manifest)';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}
