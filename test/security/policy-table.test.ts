import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePolicyTable } from '../../harness/security/policy-table';

describe("a feature's entitlement table", () => {
  test('becomes rights per principal: comma-separated lists, empty cells and - grant nothing', () => {
    const table = parsePolicyTable([
      { principal: 'worker-1', register: 'echo, echo2', call: '' },
      { principal: 'sub-1', subscribe: 'prices.*', subscriberIds: '-' },
    ]);
    assert.deepEqual(table, { 'worker-1': { register: ['echo', 'echo2'] }, 'sub-1': { subscribe: ['prices.*'] } });
  });

  test('an unknown column or a row without a principal is an error naming it', () => {
    assert.throws(() => parsePolicyTable([{ principal: 'a', regsiter: 'echo' }]), /policy table: unknown column\(s\) regsiter \(known: principal, register, call, publish, subscribe, subscriberIds\)/);
    assert.throws(() => parsePolicyTable([{ principal: ' ', call: 'echo' }]), /policy table row 1: no principal/);
  });
});
