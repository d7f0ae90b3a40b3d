// Standard normals from the counter-based generator of draw_core::rng::NoiseKey (fill_normal
// and the sample that draws its ε):
// bits(t) = splitmix64(key ^ t) in exact 64-bit integer arithmetic on u32 pairs (bit for bit the
// CPU's), then Box–Muller in f32
// with its own ln and cos (mul/add only, past frexp), so every conforming GPU gives ε to
// ~5e-7. key = mix(mix(seed) ^ stream) (P.key_lo, P.key_hi), and element t uses index
// offset + t (offset = (P.offset_lo, P.offset_hi)).

// 64-bit values as (lo, hi).
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn shr64(a: vec2<u32>, s: u32) -> vec2<u32> {
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
}

// The full 64-bit product of two u32s.
fn mul32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p0 = a0 * b0;
    let p1 = a0 * b1;
    let p2 = a1 * b0;
    let p3 = a1 * b1;
    let mid = (p0 >> 16u) + (p1 & 0xffffu) + (p2 & 0xffffu);
    return vec2<u32>((p0 & 0xffffu) | (mid << 16u), p3 + (p1 >> 16u) + (p2 >> 16u) + (mid >> 16u));
}

// The low 64 bits of a 64 × 64-bit product (wrapping, like u64::wrapping_mul).
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = mul32(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}

fn mix64(z0: vec2<u32>) -> vec2<u32> {
    var z = add64(z0, vec2<u32>(0x7f4a7c15u, 0x9e3779b9u));
    z = mul64(z ^ shr64(z, 30u), vec2<u32>(0x1ce4e5b9u, 0xbf58476du));
    z = mul64(z ^ shr64(z, 27u), vec2<u32>(0x133111ebu, 0x94d049bbu));
    return z ^ shr64(z, 31u);
}

// cos(2π·lo/2³²): reduced exactly in integers to a quarter turn by symmetry, then a Taylor
// polynomial to x¹² on [0, π/2] (error < 1e-8), so the only rounding is of the reduced angle.
fn cos_turns(lo: u32) -> f32 {
    // q = |lo − 2³¹|, so that cos(2π·lo/2³²) = −cos(2π·q/2³²), q in [0, 2³¹].
    var q = select(lo - 0x80000000u, 0x80000000u - lo, lo < 0x80000000u);
    var sign = -1.0;
    if (q > 0x40000000u) {
        q = 0x80000000u - q;
        sign = 1.0;
    }
    let x = 6.2831853071795864 * (f32(q) * 2.3283064365386963e-10);
    let x2 = x * x;
    let c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0
        + x2 * (-1.0 / 3628800.0 + x2 * (1.0 / 479001600.0))))));
    return sign * c;
}

// ln(x) for x > 0 from frexp and the atanh series on a mantissa in [√½, √2) (|s| ≤ 0.172,
// error < 1e-9): GPU log() may be off by 2⁻²¹ absolute near 1, which would show in ε.
fn ln_acc(x: f32) -> f32 {
    let fe = frexp(x);
    var f = fe.fract;
    var e = f32(fe.exp);
    if (f < 0.70710678) {
        f = f * 2.0;
        e = e - 1.0;
    }
    let s = (f - 1.0) / (f + 1.0);
    return e * 0.693359375 + (e * -2.12194440e-4 + atanh2(s));
}

// 2·atanh(s) = ln((1 + s)/(1 − s)) by its series to s¹¹.
fn atanh2(s: f32) -> f32 {
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
        + s2 * (1.0 / 11.0))))));
}

// ln(u1) with u1 = (hi + 1)/2³², accurate at both ends of (0, 1]: near 1 it is
// ln(1 − m) with m = (2³² − 1 − hi)/2³² = 2·atanh(−m/(2 − m)), never forming 1 − m.
fn ln_u1(hi: u32) -> f32 {
    if (hi < 0x80000000u) {
        return ln_acc((f32(hi) + 1.0) * 2.3283064365386963e-10);
    }
    let m = f32(~hi) * 2.3283064365386963e-10;
    if (m < 0.25) {
        return atanh2(-m / (2.0 - m));
    }
    return ln_acc(1.0 - m);
}

// Standard normal number `index` (64-bit, as (lo, hi)) of the key (lo, hi).
fn normal_at(key: vec2<u32>, index: vec2<u32>) -> f32 {
    let h = mix64(key ^ index);
    return sqrt(-2.0 * ln_u1(h.y)) * cos_turns(h.x);
}
