import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printableLine } from '../../harness/util/printable-line';

test('printableLine: control characters become \\xNN; tabs, backslashes and text are kept', () => {
  assert.equal(printableLine('READY \x01\x00 svc\r'), 'READY \\x01\\x00 svc\\x0d');
  assert.equal(printableLine('\x1b[31mred\x7f\u0085'), '\\x1b[31mred\\x7f\\x85');
  assert.equal(printableLine('{"msg":"a \\"quoted\\" word"}\tcafé'), '{"msg":"a \\"quoted\\" word"}\tcafé');
});
