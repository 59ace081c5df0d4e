// The frame every render pipeline draws into: data coordinates → clip space by a per-axis scale
// and offset (equal pixels per unit on both axes, fitted by src/render/view-transform.ts), and
// the target's size in device pixels for things measured in pixels (point size, line width).

struct View {
  scale: vec2<f32>,
  offset: vec2<f32>,
  // Target size in device pixels.
  viewport: vec2<f32>,
  pad: vec2<f32>,
}

fn to_clip(view: View, point: vec2<f32>) -> vec2<f32> {
  return point * view.scale + view.offset;
}

fn is_finite2(p: vec2<f32>) -> bool {
  // NaN fails every comparison; ±Inf exceeds the largest finite f32.
  return all(abs(p) <= vec2<f32>(3.4028234e38));
}

// A vertex position that every clipper discards: how non-finite points (a diverged model) vanish.
const OUTSIDE_CLIP = vec4<f32>(4.0, 4.0, 4.0, 1.0);
