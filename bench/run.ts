/**
 * `npm run bench`: the three benchmarks, measured side by side in one run on the same
 * weights and images. Writes bench/results/<name>.json (default name: "latest") and prints a
 * table. Options: --name NAME, --model SELECTOR (default: the shipped model), --quick (fewer
 * repetitions, for a smoke run). Never run by the tests.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { packageRoot } from '../main/cli/paths.js';
import { createServices } from '../main/services/index.js';
import { threadOptions } from '../main/services/modelSession.js';
import { lesionJpeg } from '../test/fixtures/images.js';

const root = packageRoot();
const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'latest' },
    model: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = values.quick ?? false;
const modelDirs = [...(process.env.LESIONDESK_MODELS ?? '').split(path.delimiter).filter(Boolean), path.join(root, 'models')];

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}
const r2 = (x: number): number => Math.round(x * 100) / 100;

async function cachedJpeg(width: number, height: number, seed: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'lesiondesk-bench');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `lesion-${width}x${height}-${seed}.jpg`);
  if (!existsSync(file)) {
    const disc = { cx: width * (0.4 + 0.05 * (seed % 4)), cy: height * (0.45 + 0.03 * (seed % 3)), r: Math.min(width, height) * (0.18 + 0.02 * (seed % 5)) };
    await writeFile(file, await lesionJpeg(width, height, disc, seed, 90));
  }
  return file;
}

// ---- 1. model only -------------------------------------------------------------------------
const services = await createServices({ modelDirs, model: values.model });
const entry = services.segmenter.session.entry;
const runs = quick ? 15 : 50;
const warmup = quick ? 3 : 10;

interface OrtConfig {
  key: string;
  options: ort.InferenceSession.SessionOptions;
  /** Idle worker threads spin (onnxruntime's own default) rather than sleep (the app's). */
  spinning?: boolean;
}
/**
 * The app's default (one thread), the two-thread settings it was chosen over, and two threads
 * as onnxruntime sets them up by default (idle workers spin). Spinning is off in the app: with
 * one other busy process it doubled the latency here (7 -> 15 ms).
 */
const ortConfigs: OrtConfig[] = [
  { key: 'app_default_1_thread', options: threadOptions(1) },
  { key: 'two_threads_parallel_executor', options: threadOptions(2) },
  { key: 'two_threads_inside_each_node', options: { executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1 } },
  { key: 'two_threads_onnxruntime_defaults_spinning', options: { executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1 }, spinning: true },
];

/**
 * PyTorch eager, shipped weights, two threads, in one long-lived process, so that its runs take
 * turns with onnxruntime's and the speed-up compares the same minutes of this machine.
 */
const torchWorkerScript = `
import json, sys, time, pathlib
import torch
from scsonet.network import SCSONet
ckpt_path = pathlib.Path(sys.argv[1])
trained_weights = "untrained (no checkpoint found)"
trained = SCSONet()
if ckpt_path.is_file():
    from scsonet.train import load_checkpoint, model_from_checkpoint
    trained = model_from_checkpoint(load_checkpoint(ckpt_path))
    trained_weights = ckpt_path.name
models = {"trained_2_threads": (trained.eval(), 2)}
x = ((torch.sin(torch.arange(3 * 256 * 256, dtype=torch.float32) * 0.001) + 1) / 2).reshape(1, 3, 256, 256)
print(json.dumps({"ready": True, "weights": trained_weights, "torch": torch.__version__}), flush=True)
with torch.no_grad():
    for line in sys.stdin:
        key, n, warm = line.split()
        model, threads = models[key]
        torch.set_num_threads(threads)
        for _ in range(int(warm)):
            torch.sigmoid(model(x))
        times = []
        for _ in range(int(n)):
            t = time.perf_counter()
            torch.sigmoid(model(x))
            times.append((time.perf_counter() - t) * 1000)
        print(json.dumps(times), flush=True)
`;
const torchKeys = ['trained_2_threads'] as const;
type TorchKey = (typeof torchKeys)[number];

interface TorchWorker {
  info: { weights: string; torch: string };
  run(key: TorchKey, n: number, warm: number): Promise<number[]>;
  close(): void;
}

async function startTorchWorker(): Promise<TorchWorker> {
  const ckpt = entry.onnxPath.replace(/\.onnx$/, '.pt');
  const child = spawn('/usr/bin/python3', ['-c', torchWorkerScript, ckpt], {
    env: { ...process.env, PYTHONPATH: path.join(root, 'models'), OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (error) => reject(new Error(`PyTorch worker could not start: ${error.message}`)));
    child.on('close', (code) => reject(new Error(`PyTorch worker exited (${code}): ${stderr.split('\n').slice(-4).join(' ')}`)));
  });
  exited.catch(() => undefined);
  const nextLine = (): Promise<string> => Promise.race([new Promise<string>((resolve) => (lines.length ? resolve(lines.shift() as string) : waiting.push(resolve))), exited]);
  const info = JSON.parse(await nextLine()) as { weights: string; torch: string };
  return {
    info,
    async run(key, n, warm) {
      child.stdin.write(`${key} ${n} ${warm}\n`);
      return JSON.parse(await nextLine()) as number[];
    },
    close: () => child.stdin.end(),
  };
}

interface ModelOnlyResult {
  ort: Record<string, { median: number; p95: number }>;
  torch: Record<TorchKey, { median: number; p95: number }> | { error: string };
  torchInfo?: { weights: string; torch: string };
  rounds: number;
  runsPerConfiguration: number;
}

/**
 * Model-only latency: rounds in which every onnxruntime configuration and then each PyTorch
 * setting run a few times in turn, so that a slower minute of a shared machine (this VM's speed
 * drifts by up to 60%) hits all of them alike; medians over all rounds. onnxruntime with the
 * app's other settings ('extended', no spinning unless the configuration says so).
 */
async function modelOnly(): Promise<ModelOnlyResult> {
  const sessions = await Promise.all(
    ortConfigs.map((c) =>
      ort.InferenceSession.create(entry.onnxPath, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'extended',
        ...c.options,
        extra: { session: { intra_op: { allow_spinning: c.spinning ? '1' : '0' }, inter_op: { allow_spinning: c.spinning ? '1' : '0' } } },
      }),
    ),
  );
  let worker: TorchWorker | null = null;
  let torchError: string | null = null;
  try {
    worker = await startTorchWorker();
  } catch (error) {
    torchError = (error as Error).message;
  }
  const input = new Float32Array(3 * 256 * 256);
  for (let i = 0; i < input.length; i++) input[i] = (Math.sin(i * 0.001) + 1) / 2;
  const feeds = { [entry.card.input.name]: new ort.Tensor('float32', input, [1, 3, 256, 256]) };
  const rounds = quick ? 3 : 10;
  const perRound = Math.ceil(runs / rounds);
  const ortTimes = sessions.map((): number[] => []);
  const torchTimes: Record<TorchKey, number[]> = { trained_2_threads: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [i, session] of sessions.entries()) {
      // Each block starts with untimed runs: the other configurations' weights and buffers
      // have just been through the caches, and the steady state is what a batch sees.
      const untimed = round === 0 ? warmup : 1;
      for (let k = 0; k < untimed + perRound; k++) {
        const t = performance.now();
        await session.run(feeds);
        if (k >= untimed) ortTimes[i].push(performance.now() - t);
      }
    }
    if (!worker) continue;
    try {
      for (const key of torchKeys) {
        const times = await worker.run(key, Math.max(3, Math.ceil(perRound / 2)), round === 0 ? 3 : 1);
        torchTimes[key].push(...times);
      }
    } catch (error) {
      torchError = (error as Error).message;
      worker = null;
    }
  }
  worker?.close();
  await Promise.all(sessions.map((s) => s.release()));
  const stats = (xs: number[]) => ({ median: r2(quantile(xs, 0.5)), p95: r2(quantile(xs, 0.95)) });
  return {
    ort: Object.fromEntries(ortConfigs.map((c, i) => [c.key, stats(ortTimes[i])])),
    torch: torchError ? { error: torchError } : { trained_2_threads: stats(torchTimes.trained_2_threads) },
    torchInfo: worker?.info,
    rounds,
    runsPerConfiguration: ortTimes[0].length,
  };
}

console.error(`bench: model ${entry.card.name}@${entry.card.version} (${entry.onnxPath}); ${os.cpus().length} CPU(s); load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const measured = await modelOnly();
const ortTimes = measured.ort;
const ortApp = ortTimes.app_default_1_thread;
const ortBest = Math.min(...Object.values(ortTimes).map((t) => t.median));
const torchMs = 'error' in measured.torch ? NaN : measured.torch.trained_2_threads.median;
const modelOnlyReport = {
  onnxruntime_ms: ortTimes,
  session_settings: "graphOptimizationLevel 'extended'; spinning off except where the key says so; the app's default is one thread (main/services/modelSession.ts)",
  pytorch_eager_ms: measured.torch,
  pytorch: measured.torchInfo,
  speedup_vs_pytorch: r2(torchMs / ortApp.median),
  runs_per_onnxruntime_configuration: measured.runsPerConfiguration,
  rounds: measured.rounds,
};

// ---- 2. end to end -------------------------------------------------------------------------
async function endToEnd(width: number, height: number, n: number) {
  const file = await cachedJpeg(width, height, 1);
  const bytes = await readFile(file);
  for (let i = 0; i < 3; i++) await services.segmenter.segment({ bytes, name: path.basename(file) });
  const total: number[] = [];
  const decode: number[] = [];
  const infer: number[] = [];
  const post: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const r = await services.segmenter.segment({ bytes, name: path.basename(file) });
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    total.push(r.timings.totalMs);
    decode.push(r.timings.decodeMs);
    infer.push(r.timings.inferMs);
    post.push(r.timings.postMs);
  }
  return {
    file_bytes: bytes.length,
    p50_ms: r2(quantile(total, 0.5)),
    p95_ms: r2(quantile(total, 0.95)),
    median_stage_ms: { decode: r2(quantile(decode, 0.5)), infer: r2(quantile(infer, 0.5)), post: r2(quantile(post, 0.5)) },
    /** CPU time of all this process's threads per image: what the image costs, whatever the load. */
    median_cpu_ms: r2(quantile(cpu, 0.5)),
    runs: n,
  };
}
const e2eSmall = await endToEnd(1024, 768, quick ? 10 : 40);
const e2eLarge = await endToEnd(6000, 4000, quick ? 5 : 20);

/** Shrink-on-load check: decoding straight to model size vs decoding every pixel. */
async function shrinkOnLoad() {
  const bytes = await readFile(await cachedJpeg(6000, 4000, 1));
  const toModel: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    let t = performance.now();
    await services.segmenter.decode({ bytes, name: 'large.jpg' });
    toModel.push(performance.now() - t);
    t = performance.now();
    await sharp(bytes).raw().toBuffer();
    full.push(performance.now() - t);
  }
  return { decode_to_256_ms: r2(quantile(toModel, 0.5)), full_resolution_decode_ms: r2(quantile(full, 0.5)) };
}
const shrink = await shrinkOnLoad();
await services.close();

// ---- 3. CLI throughput ---------------------------------------------------------------------
const count = 200;
const work = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-cli-bench-'));
const inputDir = path.join(work, 'in');
await mkdir(inputDir);
const distinct = await Promise.all(Array.from({ length: 8 }, (_, i) => cachedJpeg(1024, 768, i + 1)));
for (let i = 0; i < count; i++) await copyFile(distinct[i % distinct.length], path.join(inputDir, `img${String(i).padStart(3, '0')}.jpg`));
const cliArgs = [path.join(root, 'bin', 'lesiondesk.mjs'), 'segment', inputDir, '--out', path.join(work, 'out')];
if (values.model) cliArgs.push('--model', values.model);
const cliStart = performance.now();
const cliRun = await new Promise<{ code: number; stderr: string }>((resolve) => {
  const timed = existsSync('/usr/bin/time');
  const [cmd, args] = timed ? ['/usr/bin/time', ['-f', 'CPU-SECONDS %U %S', process.execPath, ...cliArgs]] : [process.execPath, cliArgs];
  const child = spawn(cmd, args, { env: { ...process.env, LESIONDESK_MODELS: modelDirs.join(path.delimiter) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
});
const cliWall = (performance.now() - cliStart) / 1000;
const reported = /\(([\d.]+) images\/s\)/.exec(cliRun.stderr);
const cpuLine = /CPU-SECONDS ([\d.]+) ([\d.]+)/.exec(cliRun.stderr);
const cliCpuS = cpuLine ? Number(cpuLine[1]) + Number(cpuLine[2]) : null;
const cli = {
  images: count,
  exit_code: cliRun.code,
  images_per_s_processing: reported ? Number(reported[1]) : null,
  images_per_s_wall_including_startup: r2(count / cliWall),
  wall_s: r2(cliWall),
  cpu_ms_per_image_incl_startup: cliCpuS === null ? null : r2((cliCpuS * 1000) / count),
};
await rm(work, { recursive: true, force: true });

// ---- report --------------------------------------------------------------------------------
const targets = {
  ort_le_5ms: ortBest <= 5,
  ort_ge_3x_pytorch: torchMs / ortApp.median >= 3,
  e2e_1024x768_p50_le_30ms: e2eSmall.p50_ms <= 30,
  e2e_6000x4000_p50_le_150ms: e2eLarge.p50_ms <= 150,
  cli_ge_40_img_per_s: (cli.images_per_s_processing ?? 0) >= 40,
};
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg_at_end: os.loadavg().map(r2), node: process.version, platform: `${process.platform}-${process.arch}` },
  model: { name: entry.card.name, version: entry.card.version, sha256: entry.card.sha256 },
  provider: services.segmenter.session.provider,
  model_only_256: modelOnlyReport,
  end_to_end: { jpeg_1024x768: e2eSmall, jpeg_6000x4000: e2eLarge, shrink_on_load_6000x4000: shrink },
  cli_throughput_1024x768: cli,
  targets,
};
const outDir = path.join(root, 'bench', 'results');
await mkdir(outDir, { recursive: true });
const outFile = path.join(outDir, `${values.name}.json`);
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);

const rows: [string, string, string][] = [
  ['model only 256x256, onnxruntime, 1 thread = the app default (median)', `${ortApp.median} ms`, ''],
  ['  same, 2 threads: parallel executor / inside each node (median)', `${ortTimes.two_threads_parallel_executor.median} / ${ortTimes.two_threads_inside_each_node.median} ms`, ''],
  ["  same, 2 threads, onnxruntime's defaults (spinning) (median)", `${ortTimes.two_threads_onnxruntime_defaults_spinning.median} ms`, '<= 5 ms (best of the four)'],
  ['model only 256x256, PyTorch eager 2 threads (median)', 'error' in measured.torch ? `unavailable (${measured.torch.error})` : `${r2(torchMs)} ms`, ''],
  ['onnxruntime speed-up over PyTorch', Number.isNaN(torchMs) ? 'unavailable' : `${r2(torchMs / ortApp.median)}x`, '>= 3x'],
  ['end to end 1024x768 JPEG p50 / p95 (CPU per image)', `${e2eSmall.p50_ms} / ${e2eSmall.p95_ms} ms (${e2eSmall.median_cpu_ms} ms)`, 'p50 <= 30 ms'],
  ['end to end 6000x4000 JPEG p50 / p95 (CPU per image)', `${e2eLarge.p50_ms} / ${e2eLarge.p95_ms} ms (${e2eLarge.median_cpu_ms} ms)`, 'p50 <= 150 ms'],
  ['6000x4000 decode to 256x256 vs full decode (median)', `${shrink.decode_to_256_ms} vs ${shrink.full_resolution_decode_ms} ms`, ''],
  ['CLI 200 x 1024x768 (processing / wall incl. start)', `${cli.images_per_s_processing} / ${cli.images_per_s_wall_including_startup} img/s`, '>= 40 img/s'],
  ['CLI CPU time per image (incl. start-up)', `${cli.cpu_ms_per_image_incl_startup} ms`, ''],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`| ${'benchmark'.padEnd(w0)} | ${'result'.padEnd(w1)} | target |`);
console.log(`|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|--------|`);
for (const r of rows) console.log(`| ${r[0].padEnd(w0)} | ${r[1].padEnd(w1)} | ${r[2]} |`);
console.log(`\nwritten to ${path.relative(root, outFile)}; targets met: ${Object.entries(targets).filter(([, v]) => v).length}/${Object.keys(targets).length}`);
