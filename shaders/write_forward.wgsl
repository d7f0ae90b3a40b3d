// Attention write (eq. 20): canvas += (1/γ)·F_Yᵀ P F_X per channel, one thread per pixel.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.rows * P.channels * P.height * P.width) {
        canvas[t] = canvas[t] + write_pixel(t);
    }
}
