import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LATEST_RUN, latestRun, markLatestRun } from '../../harness/report/latest-run';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-latest-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function reportsFolder(): string {
  return fs.mkdtempSync(path.join(work, 'reports-'));
}

test('latest is a relative symlink to the newest run folder, replaced by the next run', () => {
  const reports = reportsFolder();
  assert.equal(markLatestRun(path.join(reports, 'run-1')), undefined);
  assert.ok(fs.statSync(path.join(reports, 'run-1')).isDirectory(), 'the run folder is created');
  assert.equal(fs.readlinkSync(path.join(reports, LATEST_RUN)), 'run-1');
  assert.equal(markLatestRun(path.join(reports, 'run-2')), undefined);
  assert.equal(fs.readlinkSync(path.join(reports, LATEST_RUN)), 'run-2');
  assert.equal(latestRun(reports), path.join(reports, 'run-2'));
  fs.writeFileSync(path.join(reports, 'run-2', 'summary.md'), 'x');
  assert.equal(fs.readFileSync(path.join(reports, LATEST_RUN, 'summary.md'), 'utf8'), 'x', 'reports/latest/<file> reaches the run folder');
  assert.deepEqual(fs.readdirSync(reports).sort(), [LATEST_RUN, 'run-1', 'run-2'], 'no temporary file is left beside it');
});

test('where no symlink can be made, latest is a file naming the run folder', () => {
  const reports = reportsFolder();
  const noSymlinks = () => {
    throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
  };
  assert.equal(markLatestRun(path.join(reports, 'run-1'), { symlink: noSymlinks }), undefined);
  assert.equal(fs.readFileSync(path.join(reports, LATEST_RUN), 'utf8'), 'run-1\n');
  assert.equal(latestRun(reports), path.join(reports, 'run-1'));
  // A later run on a file system with symlinks replaces the file with a link.
  assert.equal(markLatestRun(path.join(reports, 'run-2')), undefined);
  assert.equal(fs.readlinkSync(path.join(reports, LATEST_RUN)), 'run-2');
});

test('a folder of the user named latest is left alone, and the problem is returned, not thrown', () => {
  const reports = reportsFolder();
  fs.mkdirSync(path.join(reports, LATEST_RUN, 'mine'), { recursive: true });
  const problem = markLatestRun(path.join(reports, 'run-1'));
  assert.match(problem ?? '', new RegExp(`could not point ${path.join(reports, LATEST_RUN).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at run-1: `));
  assert.ok(fs.existsSync(path.join(reports, LATEST_RUN, 'mine')), "the user's folder is untouched");
  assert.deepEqual(fs.readdirSync(reports).sort(), [LATEST_RUN, 'run-1'], 'no temporary file is left beside it');
  assert.equal(latestRun(reportsFolder()), undefined, 'no latest: undefined');
});
