import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';

/** A ProcessRuntime writing its node logs into a fresh temporary folder. */
export interface RuntimeInTempLogDir {
  readonly runtime: ProcessRuntime;
  readonly logDir: string;
  /** Shuts the runtime down (its nodes with it), then removes the folder. */
  dispose(): Promise<void>;
}

export function runtimeInTempLogDir(prefix: string): RuntimeInTempLogDir {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const runtime = new ProcessRuntime({ logDir });
  return {
    runtime,
    logDir,
    dispose: async () => {
      await runtime.shutdown();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}
