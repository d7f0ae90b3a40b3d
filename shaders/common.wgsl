// Prepended to every kernel (then params.wgsl, whose structs type each kernel's binding 0, a
// slot of the uniform arena): the flat thread index of a 2-D grid of 256-thread workgroups, and
// overflow-safe maths.
// exp() is clamped to ±80 so that no argument a network produces can overflow to inf and then
// turn into NaN (inf − inf, 0·inf); f32 exp overflows only past 88.7.

const WG: u32 = 256u;
const EXP_LIMIT: f32 = 80.0;

fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid;
}

fn exp_c(x: f32) -> f32 {
    return exp(clamp(x, -EXP_LIMIT, EXP_LIMIT));
}

fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + exp_c(-x));
}

// tanh(x) = 2σ(2x) − 1, as on the CPU.
fn tanh_c(x: f32) -> f32 {
    return 2.0 / (1.0 + exp_c(-2.0 * x)) - 1.0;
}

// ln(1 + x) accurate for small x (WGSL has no log1p).
fn log1p_c(x: f32) -> f32 {
    let u = 1.0 + x;
    if (u == 1.0) {
        return x;
    }
    return log(u) * (x / (u - 1.0));
}

fn softplus(x: f32) -> f32 {
    return max(x, 0.0) + log1p_c(exp_c(-abs(x)));
}
