// Attention write (eq. 20), then the next step's canvas error of the updated canvas:
// canvas += (1/γ)·F_Yᵀ P F_X, x̂ = x − σ(canvas), one thread per pixel.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.rows * P.channels * P.height * P.width) {
        let c = canvas[t] + write_pixel(t);
        canvas[t] = c;
        xhat[t] = x[t] - sigmoid(c);
    }
}
