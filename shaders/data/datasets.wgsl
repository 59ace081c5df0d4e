// Dataset ids and shared geometry of Flowfield's 2-D datasets, prepended to the data kernels.
// Twin: src/data/builtins.ts (DATASET_IDS there must equal these numbers; a test checks it).

const DATASET_GAUSSIAN: u32 = 0u;
const DATASET_MOONS: u32 = 1u;
const DATASET_CIRCLES: u32 = 2u;
const DATASET_RINGS: u32 = 3u;
const DATASET_8GAUSSIANS: u32 = 4u;
const DATASET_25GAUSSIANS: u32 = 5u;
const DATASET_PINWHEEL: u32 = 6u;
const DATASET_SWISSROLL: u32 = 7u;
const DATASET_2SPIRALS: u32 = 8u;
const DATASET_CHECKERBOARD: u32 = 9u;
const DATASET_LINE: u32 = 10u;
const DATASET_SINE: u32 = 11u;
const DATASET_SMILEY: u32 = 12u;
const DATASET_GRID: u32 = 64u;
const DATASET_POINTS: u32 = 65u;

const DATA_PI: f32 = 3.14159265358979;
const DATA_TAU: f32 = 6.28318530717959;

// Centre k of the 8-Gaussian ring of radius r: angle kπ/4. The directions are spelled out:
// f32 cos/sin may be off by 2^-11, which would move the centres visibly in log p.
fn data_eight_centre(k: u32, r: f32) -> vec2<f32> {
  let s = 0.7071067811865476;
  var directions = array<vec2<f32>, 8>(
    vec2<f32>(1.0, 0.0), vec2<f32>(s, s), vec2<f32>(0.0, 1.0), vec2<f32>(-s, s),
    vec2<f32>(-1.0, 0.0), vec2<f32>(-s, -s), vec2<f32>(0.0, -1.0), vec2<f32>(s, -s),
  );
  return r * directions[k];
}

// Centre k of the 5×5 grid with spacing s: s·(k mod 5 − 2, ⌊k/5⌋ − 2).
fn data_grid_centre(k: u32, s: f32) -> vec2<f32> {
  return s * vec2<f32>(f32(k % 5u) - 2.0, f32(k / 5u) - 2.0);
}

// An angle moved into [−π, π] before cos/sin: WGSL only bounds their error on that interval.
fn data_wrap(a: f32) -> f32 {
  return a - DATA_TAU * round(a / DATA_TAU);
}
