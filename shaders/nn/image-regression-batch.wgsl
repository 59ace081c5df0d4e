// An image regression batch made on the GPU for the conv engine's tests and benchmark
// ('box-blur-3x3'):
//   x ~ U(0, 1) per pixel (NCHW, batch × C × H × W),
//   t = the 3 × 3 box blur of x with zero padding, per channel: t = (Σ of the 9 neighbours) / 9,
// x keyed by Philox (seed, counter (i / 4, step, IMAGE_STREAM, 0), lane i mod 4), so the batch
// never leaves the GPU and a run replays exactly. Twin: src/nn/conv/conv-regression-task.ts.
// `inputs` fills x (one invocation per 4 values), then `targets` blurs it (one per pixel).

struct ImageBatchUniforms {
  batch: u32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
}

const C: u32 = {{C}};
const H: u32 = {{H}};
const W: u32 = {{W}};
const IMAGE_STREAM: u32 = 0x494d4147u;

@group(0) @binding(0) var<uniform> u: ImageBatchUniforms;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
@group(0) @binding(2) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> targets: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inputs_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  let total = u.batch * C * H * W;
  if (q * 4u >= total) { return; }
  let r = philox_uniform4(vec4<u32>(q, state.step, IMAGE_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  for (var j = 0u; j < 4u; j++) {
    if (q * 4u + j < total) { inputs[q * 4u + j] = r[j]; }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn targets_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * H * W) { return; }
  let x = i32(i % W);
  let y = i32((i / W) % H);
  let plane = i - (i % (H * W));
  var sum = 0.0;
  for (var dy = -1; dy <= 1; dy++) {
    for (var dx = -1; dx <= 1; dx++) {
      let yy = y + dy;
      let xx = x + dx;
      if (yy >= 0 && yy < i32(H) && xx >= 0 && xx < i32(W)) {
        sum += inputs[plane + u32(yy) * W + u32(xx)];
      }
    }
  }
  targets[i] = sum / 9.0;
}
