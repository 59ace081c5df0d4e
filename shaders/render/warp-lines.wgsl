// The warp view: grid lines pushed through the flow layer by layer (or pulled back from the
// latent space). Every stage of every line is in one buffer; `stage_a`, `stage_b` and `blend`
// pick (and interpolate between) two stages, so scrubbing through layers is a uniform change.
// Lines are quads `width_px` device pixels wide, built from the segment's direction on screen.

struct Warp {
  points_per_line: u32,
  line_count: u32,
  // Points of one stage (line_count · points_per_line).
  stage_points: u32,
  // Lines before this index are the first family (constant y in the source grid).
  first_family: u32,
  stage_a: u32,
  stage_b: u32,
  blend: f32,
  width_px: f32,
  // Straight RGBA of the two line families.
  color_a: vec4<f32>,
  color_b: vec4<f32>,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> warp: Warp;
@group(0) @binding(2) var<storage, read> stages: array<vec2<f32>>;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
  @location(0) color: vec4<f32>,
}

fn position_of(line: u32, i: u32) -> vec2<f32> {
  let index = line * warp.points_per_line + i;
  let a = stages[warp.stage_a * warp.stage_points + index];
  let b = stages[warp.stage_b * warp.stage_points + index];
  return mix(a, b, warp.blend);
}

@vertex
fn vs(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  let segments_per_line = warp.points_per_line - 1u;
  let segment = index / 6u;
  let corner = index % 6u;
  let line = segment / segments_per_line;
  let s = segment % segments_per_line;
  let family = select(warp.color_b, warp.color_a, line < warp.first_family);
  out.color = vec4<f32>(family.rgb * family.a, family.a);
  let p0 = position_of(line, s);
  let p1 = position_of(line, s + 1u);
  if (!is_finite2(p0) || !is_finite2(p1)) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  let a = to_clip(view, p0);
  let b = to_clip(view, p1);
  // The normal in pixels, so the width is the same whatever the segment's direction.
  let along = (b - a) * view.viewport;
  let length_px = length(along);
  var normal = vec2<f32>(0.0, 1.0);
  if (length_px > 1e-6) {
    normal = vec2<f32>(-along.y, along.x) / length_px;
  }
  // Two triangles: (a−, b−, a+) and (a+, b−, b+).
  let at_b = corner == 1u || corner == 4u || corner == 5u;
  let side = select(-1.0, 1.0, corner == 2u || corner == 3u || corner == 5u);
  let end = select(a, b, at_b);
  let offset = normal * side * warp.width_px / view.viewport;
  out.position = vec4<f32>(end + offset, 0.0, 1.0);
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4<f32> {
  return in.color;
}
