// NICE training: copies this step's batch out of the bank the image sampler filled at the
// chunk's start (rows of D pre-processed values, and each item's (image, flip, label,
// log-det bits)), so the flow can update the rows in place. Slot = state.step − first_step.

struct BatchUniforms {
  batch: u32,
  dims: u32,
  first_step: u32,
  pad0: u32,
}

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read> state: TrainState;
@group(0) @binding(2) var<storage, read> bank: array<f32>;
@group(0) @binding(3) var<storage, read> bank_items: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> rows: array<f32>;
@group(0) @binding(5) var<storage, read_write> log_dets: array<u32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  let values = u.batch * u.dims;
  if (i >= values) { return; }
  let slot = state.step - u.first_step;
  rows[i] = bank[slot * values + i];
  if (i < u.batch) { log_dets[i] = bank_items[slot * u.batch + i].w; }
}
