// Runs an interactive ONNX model on a parity fixture with onnxruntime-node (the runtime the app uses)
// and writes its probabilities beside nothing: to the path given, as little-endian float32.
// Called by tests/test_interactive_model.py, which compares them with PyTorch's (there is no
// onnxruntime for Debian's Python).
// usage: node run_onnx.cjs MODEL.onnx PARITY_DIR OUT.f32
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, dir, out] = process.argv.slice(2);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
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
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
