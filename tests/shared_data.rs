//! The rule for tests that read the shared Synthea data: skipped with the reason when it is absent,
//! a failure in CI.

mod common;

#[test]
fn absent_data_is_skipped_outside_ci() {
    let root = tempfile::tempdir().unwrap();
    assert_eq!(common::shared_data_in(root.path(), "synthea-csv", false), None);
}

#[test]
#[should_panic(expected = "CI=true and")]
fn absent_data_fails_in_ci() {
    let root = tempfile::tempdir().unwrap();
    common::shared_data_in(root.path(), "synthea-csv", true);
}

#[test]
fn present_data_is_found_in_ci_and_out() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("synthea-csv")).unwrap();
    for ci in [false, true] {
        assert_eq!(common::shared_data_in(root.path(), "synthea-csv", ci), Some(root.path().join("synthea-csv")));
    }
}
