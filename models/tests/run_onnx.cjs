// Runs an interactive ONNX model on a parity fixture with onnxruntime-node (the runtime the app uses)
// and writes its probabilities beside nothing: to the path given, as little-endian float32.
// Called by tests/test_interactive_model.py, which compares them with PyTorch's (there is no
// onnxruntime for Debian's Python).
// usage: node run_onnx.cjs MODEL.onnx PARITY_DIR OUT.f32 [--time RUNS [THREADS]]
// With --time it also prints the median and 90th percentile of RUNS runs of the first case (the
// model's own latency per click, inputs ready) as JSON; THREADS is onnxruntime's intra-op threads.
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, dir, out, flag, runsArg, threadsArg] = process.argv.slice(2);
  const threads = flag === '--time' ? Number(threadsArg ?? 1) : 1;
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads });
  const read = (name) => {
    const b = fs.readFileSync(path.join(dir, `${name}.f32`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const arrays = Object.fromEntries(Object.keys(meta.inputs).map((name) => [name, read(name)]));
  const outputs = [];
  for (let k = 0; k < meta.n; k++) {
    const feeds = {};
    for (const [name, shape] of Object.entries(meta.inputs)) {
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor('float32', arrays[name].slice(k * per, (k + 1) * per), [1, ...shape.slice(1)]);
    }
    const result = await session.run(feeds);
    outputs.push(Buffer.from(result.prob.data.buffer, result.prob.data.byteOffset, result.prob.data.byteLength));
  }
  fs.writeFileSync(out, Buffer.concat(outputs));
  if (flag === '--time') {
    const feeds = {};
    for (const [name, shape] of Object.entries(meta.inputs)) {
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor('float32', arrays[name].slice(0, per), [1, ...shape.slice(1)]);
    }
    for (let k = 0; k < 5; k++) await session.run(feeds); // warm-up
    const times = [];
    for (let k = 0; k < Number(runsArg); k++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    console.log(JSON.stringify({ runs: times.length, threads, p50_ms: at(0.5), p90_ms: at(0.9), min_ms: times[0] }));
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
