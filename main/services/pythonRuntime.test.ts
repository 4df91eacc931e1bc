import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPythonCandidates, findPython, preflight } from './pythonRuntime.js';

// The tests run the real interpreter the trainer uses (Debian's, with torch).
const systemPython = '/usr/bin/python3';
let dir: string;

/** An executable script standing in for an interpreter. */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lesiondesk-python-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finding Python for fine-tuning', () => {
  it('finds the system interpreter with torch and reports its versions', async () => {
    const probe = await findPython({ pythonSetting: systemPython, env: process.env });
    expect(probe.ok).toBe(true);
    expect(probe.info).toMatchObject({ path: systemPython, version: expect.stringMatching(/^3\.\d+/), torch: expect.stringMatching(/^\d+\.\d+/) });
  });

  it('skips an interpreter without torch and takes the next one that has it', async () => {
    // A real Python with its site-packages switched off (-S) cannot import torch.
    const bare = script('python-without-site', `exec ${systemPython} -S "$@"`);
    const probe = await findPython({ env: {}, candidates: [bare, systemPython] });
    expect(probe.ok).toBe(true);
    expect(probe.info?.path).toBe(systemPython);
  });

  it('says which modules are missing, with the fix, when no interpreter imports torch', async () => {
    const bare = script('python-bare', `exec ${systemPython} -S "$@"`);
    const probe = await findPython({ env: {}, candidates: [bare] });
    expect(probe.ok).toBe(false);
    expect(probe.problem?.code).toBe('no-torch');
    expect(probe.problem?.message).toMatch(/cannot import what fine-tuning needs: torch \(ModuleNotFoundError/);
    expect(probe.problem?.fix).toMatch(/apt-get install python3-torch .*LESIONDESK_PYTHON/);
  });

  it('reports no Python at all', async () => {
    const probe = await findPython({ env: {}, candidates: [path.join(dir, 'nowhere', 'python3')] });
    expect(probe.problem).toMatchObject({ code: 'no-python', message: 'No Python 3 interpreter was found on this computer.' });
  });

  it('never replaces an explicitly chosen interpreter that is broken', async () => {
    const probe = await findPython({ env: { LESIONDESK_PYTHON: path.join(dir, 'missing-python') } });
    expect(probe.ok).toBe(false);
    expect(probe.problem?.message).toMatch(/could not be run \(not found\)\. \(chosen by LESIONDESK_PYTHON\)/);
  });

  it('refuses a PyTorch older than the trainer supports', async () => {
    // Stands in for an old installation (no such torch exists on this machine).
    const old = script('python-old-torch', `echo '{"python": "3.8.10", "missing": [], "torch": "1.8.1"}'`);
    const probe = await findPython({ pythonSetting: old });
    expect(probe.problem).toMatchObject({ code: 'old-torch', message: expect.stringMatching(/PyTorch 1\.8\.1; fine-tuning needs 1\.13 or newer/) });
  });

  it('calls an interpreter that answers with other JSON not usable, saying what it answered, with the fix', async () => {
    // Each stands in for a program that is not the Python we asked for (a wrapper, a shim that
    // prints its own status, an interpreter whose sitecustomize prints JSON last).
    const replies = {
      'a JSON null': 'null',
      'a list': '[1, 2]',
      'other keys': '{"status": "ok"}',
      'wrong types': '{"python": 3.11, "missing": "none", "torch": 2}',
    };
    for (const [what, reply] of Object.entries(replies)) {
      const other = script(`python-other-${what.replace(/\W+/g, '-')}`, `echo '${reply}'`);
      const probe = await findPython({ pythonSetting: other });
      expect(probe.ok, what).toBe(false);
      expect(probe.problem, what).toMatchObject({
        code: 'no-python',
        message: expect.stringMatching(new RegExp(`^This Python is not usable: ${other} answered the check with something other than Python's version and modules \\(.+\\)\\. \\(chosen by the Python setting\\)$`)),
        fix: expect.stringMatching(/apt-get install python3-torch .*LESIONDESK_PYTHON/),
      });
    }
  });

  it('looks on the PATH first, then in the usual system places', () => {
    const c = defaultPythonCandidates({ PATH: ['/opt/a', '/opt/b'].join(path.delimiter) }, 'linux');
    expect(c.slice(0, 4)).toEqual(['/opt/a/python3', '/opt/a/python', '/opt/b/python3', '/opt/b/python']);
    expect(c).toContain('/usr/bin/python3');
  });
});

describe('preflight', () => {
  it('passes here and reports the free disk', async () => {
    const result = await preflight({ dataDir: dir, pythonSetting: systemPython });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.freeDiskBytes).toBeGreaterThan(0);
  });

  it('trusts an interpreter a recent preflight found while its file exists, and probes again when it is gone', async () => {
    const runs = path.join(dir, 'runs.log');
    const counted = script('python-counted', `echo run >> ${runs}\nexec ${systemPython} "$@"`);
    const first = await preflight({ dataDir: dir, pythonSetting: counted });
    expect(first.ok).toBe(true);
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    const again = await preflight({ dataDir: dir, pythonSetting: counted, knownPython: first.python });
    expect(again).toMatchObject({ ok: true, python: first.python });
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    rmSync(counted);
    expect(existsSync(counted)).toBe(false);
    const gone = await preflight({ dataDir: dir, pythonSetting: counted, knownPython: first.python });
    expect(gone.ok).toBe(false);
    expect(gone.problems[0]).toMatchObject({ code: 'no-python', message: expect.stringMatching(/could not be run \(not found\)/) });
  });

  it('says when the disk is too full, with a fix', async () => {
    const result = await preflight({ dataDir: dir, pythonSetting: systemPython, freeBytes: async () => 200 * 1024 * 1024 });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        code: 'low-disk',
        message: `Only 200 MB is free on the disk that holds ${dir}; a fine-tuning job needs about 1.0 GB.`,
        fix: expect.stringMatching(/Free some disk space .* LESIONDESK_DATA_DIR/),
      },
    ]);
  });
});
