// Adam with clipping folded into the gradient scale: g' = g·scale, m ← β₁m + (1−β₁)g',
// v ← β₂v + (1−β₂)g'², p ← p − step·m/(√v + ε), with scale = P.grad_scale.
@group(0) @binding(0) var<uniform> P: AdamParams;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t >= P.len) {
        return;
    }
    let b1 = P.beta1;
    let b2 = P.beta2;
    let gk = g[t] * P.grad_scale;
    let mk = b1 * m[t] + (1.0 - b1) * gk;
    let vk = b2 * v[t] + (1.0 - b2) * gk * gk;
    m[t] = mk;
    v[t] = vk;
    p[t] = p[t] - P.step_size * mk / (sqrt(vk) + P.eps);
}
