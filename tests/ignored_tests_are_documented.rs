//! Honest skips: every `#[ignore]` in tests/ says why and names the
//! command that runs it (`cargo test ... --test NAME ... --ignored`), and
//! both `.ci/run` and the README list that test.

use std::path::Path;

#[test]
fn every_ignored_test_names_its_command_and_ci_and_readme_run_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        for line in source.lines().map(str::trim) {
            let Some(reason) = line.strip_prefix("#[ignore = \"") else {
                continue;
            };
            seen += 1;
            let command = format!("cargo test --test {name} -- --ignored");
            let release = format!("cargo test --release --test {name} -- --ignored");
            assert!(
                reason.contains(&command) || reason.contains(&release),
                "{name}: the ignore reason must name its command: {line}"
            );
            assert!(
                ci.contains(&format!("--test {name}")),
                ".ci/run does not run {name}"
            );
            assert!(
                readme.contains(name.as_str()),
                "README does not list {name}"
            );
        }
    }
    assert!(seen > 0, "found no ignored tests at all");
}
