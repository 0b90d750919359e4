import { pointerToField } from '../../reference/util/json-pointer';

/** `/roles/broker/command/0` → `roles.broker.command[0]`; the document itself is `(manifest)`. */
export function fieldName(pointer: string): string {
  return pointer === '' ? '(manifest)' : pointerToField(pointer);
}
