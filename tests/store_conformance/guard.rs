//! The suite covers the whole trait: every method of `Store` is called by some test here, so that a
//! second backend cannot pass while one of its methods goes untried.

use std::path::Path;

/// The methods of the `Store` trait, in the order declared.
fn trait_methods(source: &str) -> Vec<String> {
    let start = source.find("pub trait Store").expect("src/store/mod.rs declares `pub trait Store`");
    let body = &source[start..];
    // The trait ends at the first closing brace in column 0.
    let end = body.find("\n}").expect("the trait's closing brace");
    body[..end]
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.starts_with("//"))
        .filter_map(|line| line.strip_prefix("fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .map(|name| name.trim().to_string())
        .collect()
}

/// The suite's source: this file's parent and every module beside it, comments left out (a
/// method named in a comment is not a method called).
fn suite_source(root: &Path) -> String {
    let mut files = vec![root.join("tests/store_conformance.rs")];
    let dir = root.join("tests/store_conformance");
    let mut modules: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    modules.sort();
    files.extend(modules);
    files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            text.lines().filter(|line| !line.trim_start().starts_with("//")).map(str::to_string).collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_method_of_the_store_is_called_by_the_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let trait_source = std::fs::read_to_string(root.join("src/store/mod.rs")).unwrap();
    let methods = trait_methods(&trait_source);
    assert!(methods.len() > 40, "the trait's methods were not all found: {methods:?}");
    let suite = suite_source(root);
    let uncalled: Vec<&String> = methods.iter().filter(|name| !suite.contains(&format!(".{name}("))).collect();
    assert!(
        uncalled.is_empty(),
        "{} of the {} methods of the Store trait are called by no conformance test: {}",
        uncalled.len(),
        methods.len(),
        uncalled.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    );
}

#[test]
fn the_method_list_is_read_from_the_trait_alone() {
    let source = [
        "impl X { fn outside(&self); }",
        "pub trait Store: Send {",
        "    fn info(&self) -> R;",
        "    // fn commented(&self);",
        "    fn begin_nightly(",
        "        &self,",
        "    ) -> R;",
        "    fn generic<T>(&self);",
        "}",
        "fn after() {}",
    ]
    .join("\n");
    assert_eq!(trait_methods(&source), ["info", "begin_nightly", "generic"]);
}
