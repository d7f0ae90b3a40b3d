// dst[dst_row + j][i] = src[i][j], one thread per element of src (rows × cols); dst has
// `rows` columns.
@group(0) @binding(0) var<uniform> P: TransposeParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let rows = P.rows;
    let cols = P.cols;
    if (t >= rows * cols) {
        return;
    }
    let i = t / cols;
    let j = t % cols;
    dst[(P.dst_row + j) * rows + i] = src[t];
}
