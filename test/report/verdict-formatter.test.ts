import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anomalyList } from '../../harness/report/verdict-formatter';
import type { VerdictAnomaly } from '../../harness/report/verdict';

function anomaly(name: string, job?: string): VerdictAnomaly {
  return { name, ...(job ? { job } : {}), detail: '', events: [] };
}

test("a FAIL's progress line names each anomaly once, with the jobs it hit (three, then a count)", () => {
  const anomalies = ['a:1', 'a:2', 'a:2', 'a:3', 'a:4', 'a:5'].map((job) => anomaly('duplicate-execution', job));
  assert.equal(anomalyList([...anomalies, anomaly('empty-history'), anomaly('lost', 'b:1')]), 'duplicate-execution of a:1, a:2, a:3 and 2 more; empty-history; lost of b:1');
  assert.equal(anomalyList([anomaly('duplicate-execution', 'client-1:x:1')]), 'duplicate-execution of client-1:x:1');
});
