// Sums per-sample loss terms in a fixed order (64 strided lane sums, then the lanes in order),
// records the loss of the current step in the history ring and flags the first non-finite loss.

struct ReduceUniforms {
  count: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> u: ReduceUniforms;
@group(0) @binding(1) var<storage, read> terms: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: TrainState;
@group(0) @binding(3) var<storage, read_write> history: array<f32>;

var<workgroup> lane_sums: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var i = lane; i < u.count; i += 64u) { sum += terms[i]; }
  lane_sums[lane] = sum;
  workgroupBarrier();
  if (lane != 0u) { return; }
  var total = 0.0;
  for (var i = 0u; i < 64u; i++) { total += lane_sums[i]; }
  history[state.step % LOSS_HISTORY] = total;
  state.last_loss = total;
  if (!is_finite(total) && state.first_nonfinite_step == 0xFFFFFFFFu) {
    state.first_nonfinite_step = state.step;
  }
}
