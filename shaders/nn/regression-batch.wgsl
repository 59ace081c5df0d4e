// A regression batch made on the GPU for the engine's tests and benchmarks:
//   x ~ U[−1, 1]²,  t = (sin(πx₀)·cos(πx₁), x₀² − x₁²)  (the benchmark's 'sincos-saddle')
// keyed by Philox (seed, step = the train state's step, index b, stream REGRESSION_STREAM),
// so the batch never leaves the GPU and a run replays exactly. Twin: src/nn/regression-task.ts.

struct BatchUniforms {
  batch: u32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
}

const REGRESSION_STREAM: u32 = 0x52454752u;

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
@group(0) @binding(2) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> targets: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let r = philox_uniform4(vec4<u32>(b, state.step, REGRESSION_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  let x0 = 2.0 * r.x - 1.0;
  let x1 = 2.0 * r.y - 1.0;
  inputs[2u * b] = x0;
  inputs[2u * b + 1u] = x1;
  targets[2u * b] = sin(3.141592653589793 * x0) * cos(3.141592653589793 * x1);
  targets[2u * b + 1u] = x0 * x0 - x1 * x1;
}
