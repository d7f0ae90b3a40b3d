//! `conformance_tests!`'s skip option: with `skip_if` true the generated tests return before
//! they build the candidate backend.

use draw_core::reference::HostBackend;

/// A candidate that must never be built: building it fails the test.
fn never_built() -> HostBackend<f32> {
    panic!("skip_if is true, yet the suite built the candidate backend")
}

mod skipped {
    use super::never_built;

    draw_core::conformance_tests!(never_built(), skip_if = true);
}

mod skipped_by_a_runtime_condition {
    use super::never_built;

    fn skip() -> bool {
        std::hint::black_box(true)
    }

    draw_core::conformance_tests!(never_built(), skip_if = skip(),);
}
