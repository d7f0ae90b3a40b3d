// Prepended to the filterbank and attention kernels, whose parameters are an AttentionParams
// (params.wgsl). Mirrors draw_core::kernels::filterbank.

const LOG_CLAMP: f32 = 10.0;

struct Decoded {
    gx: f32,
    gy: f32,
    delta: f32,
    sigma2: f32,
    gamma: f32,
    sigma_passes: bool,
    delta_passes: bool,
    gamma_passes: bool,
}

fn passes(v: f32) -> bool {
    return v >= -LOG_CLAMP && v <= LOG_CLAMP;
}

// Decodes [g̃X, g̃Y, log σ², log δ̃, log γ] (paper eqs. 13–16), log-parameters clamped.
fn decode(a: f32, b: f32, ls: f32, ld: f32, lg: f32) -> Decoded {
    return decode_with(a, b, ls, ld, lg, P.span);
}

// `decode` with the stride scale `span` of another grid over the same image.
fn decode_with(a: f32, b: f32, ls: f32, ld: f32, lg: f32, span: f32) -> Decoded {
    var d: Decoded;
    d.gx = P.gx_scale * (a + 1.0);
    d.gy = P.gy_scale * (b + 1.0);
    d.delta = span * exp(clamp(ld, -LOG_CLAMP, LOG_CLAMP));
    d.sigma2 = exp(clamp(ls, -LOG_CLAMP, LOG_CLAMP));
    d.gamma = exp(clamp(lg, -LOG_CLAMP, LOG_CLAMP));
    d.sigma_passes = passes(ls);
    d.delta_passes = passes(ld);
    d.gamma_passes = passes(lg);
    return d;
}
