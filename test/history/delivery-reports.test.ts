import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeliveryReports } from '../../harness/history/delivery-reports';

describe('DeliveryReports: which subscriber deliver reports become history', () => {
  test('a first report is kept', () => {
    const reports = new DeliveryReports();
    assert.equal(reports.keep('sub-1', 'pub-1:1', false), true);
  });

  test('a repeat of a report already kept is dropped: the restarted driver only made sure', () => {
    const reports = new DeliveryReports();
    reports.keep('sub-1', 'pub-1:1', false);
    assert.equal(reports.keep('sub-1', 'pub-1:1', true), false);
    assert.equal(reports.keep('sub-1', 'pub-1:1', true), false);
  });

  test('a repeat whose first report was lost to the kill is kept, once', () => {
    const reports = new DeliveryReports();
    assert.equal(reports.keep('sub-1', 'pub-1:7', true), true);
    assert.equal(reports.keep('sub-1', 'pub-1:7', true), false);
  });

  test('an unflagged second report is kept, so the checker can call it a duplicate delivery', () => {
    const reports = new DeliveryReports();
    reports.keep('sub-1', 'pub-1:1', false);
    assert.equal(reports.keep('sub-1', 'pub-1:1', false), true);
  });

  test('subscribers are apart: one subscriber\'s report does not make another\'s repeat redundant', () => {
    const reports = new DeliveryReports();
    reports.keep('sub-1', 'pub-1:1', false);
    assert.equal(reports.keep('sub-2', 'pub-1:1', true), true);
  });
});
