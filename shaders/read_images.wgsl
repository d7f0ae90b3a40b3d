// Prepended to the read kernels that look at the images (bindings `x` and `xhat` in their
// rows): pixel (y, x) of channel ch of row r of either.

// Pixel (y, xx) of channel ch of row r of x (k = 0) or x̂ (k = 1).
fn pix(k: u32, r: u32, ch: u32, y: u32, xx: u32) -> f32 {
    let at = ((r * P.channels + ch) * P.height + y) * P.width + xx;
    if (k == 0u) {
        return x[at];
    }
    return xhat[at];
}
