//! The layering rules of docs/architecture.md, checked over the source with a Rust parser
//! (`syn`), so a grouped `use crate::{app, tui}`, a `super::super::` path or a path written
//! inline in code is seen as what it names:
//! - `domain` imports no front end, no `app`, and no terminal crate; `app` imports no front
//!   end; the front ends (`cli`, `tui`, `agent`) never import each other;
//! - the files of `src/tui` import each other without a circle (test code aside), so a reader
//!   always has a bottom file to start from;
//! - no source file outgrows 500 lines (it becomes a folder instead).
//!
//! The checks run over synthetic sources too (`the_checks_catch_*`), so a check that stopped
//! seeing what it claims to would fail here first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

const MAX_LINES: usize = 500;

/// A module path from the crate root: `["tui", "fleet", "update"]`.
type ModulePath = Vec<String>;

struct Source {
    file: String,
    module: ModulePath,
    text: String,
}

fn module_of(relative: &Path) -> ModulePath {
    let mut parts: Vec<String> =
        relative.with_extension("").components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn read_sources() -> Vec<Source> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap();
            Source {
                file: format!("src/{}", relative.display()),
                module: module_of(relative),
                text: std::fs::read_to_string(&path).unwrap(),
            }
        })
        .collect()
}

/// A path a file names, resolved from the crate root (`crate::` dropped) or, for an outside
/// crate, starting with its name; with the line it is on and whether it is test code.
#[derive(Debug, Clone)]
struct Named {
    path: ModulePath,
    line: usize,
    in_test: bool,
}

fn is_cfg_test(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        attribute.path().is_ident("cfg")
            && attribute
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string().split_whitespace().any(|word| word == "test"))
    })
}

/// Walks one file: its `use` trees (groups expanded) and every path in its code, each resolved
/// against the module it is written in (inline `mod` blocks included).
struct Walker<'m> {
    /// Every module of the crate, to tell a child module from an outside crate.
    modules: &'m BTreeSet<ModulePath>,
    /// The module the walker is in.
    module: ModulePath,
    test_depth: usize,
    /// Names brought in by `use` in the current module: name → resolved path.
    scope: Vec<HashMap<String, ModulePath>>,
    named: Vec<Named>,
}

impl Walker<'_> {
    fn resolve(&self, segments: &[String]) -> Option<ModulePath> {
        let (first, rest) = segments.split_first()?;
        let mut resolved = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => {
                let mut up = self.module.clone();
                up.pop();
                up
            }
            "Self" => return None,
            name => {
                if let Some(imported) = self.scope.iter().rev().find_map(|scope| scope.get(name)) {
                    let mut path = imported.clone();
                    path.extend(rest.iter().cloned());
                    return Some(path);
                }
                let mut child = self.module.clone();
                child.push(name.to_owned());
                if self.modules.contains(&child) {
                    child
                } else {
                    // An outside crate (or a local item: harmless for every check below).
                    vec![format!("::{name}")]
                }
            }
        };
        let mut rest = rest.iter().peekable();
        while let Some(segment) = rest.next() {
            if segment == "super" {
                resolved.pop();
            } else if segment != "self" || rest.peek().is_some() {
                resolved.push(segment.clone());
            }
        }
        Some(resolved)
    }

    fn record(&mut self, path: ModulePath, line: usize) {
        self.named.push(Named { path, line, in_test: self.test_depth > 0 });
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, line: usize) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree, line);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.imported(prefix, &name.ident.to_string(), &name.ident.to_string(), line),
            syn::UseTree::Rename(rename) => {
                self.imported(prefix, &rename.ident.to_string(), &rename.rename.to_string(), line)
            }
            syn::UseTree::Glob(_) => {
                if let Some(path) = self.resolve(prefix) {
                    self.record(path, line);
                }
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree, line);
                }
            }
        }
    }

    fn imported(&mut self, prefix: &[String], name: &str, alias: &str, line: usize) {
        let mut segments = prefix.to_vec();
        segments.push(name.to_owned());
        if let Some(path) = self.resolve(&segments) {
            if alias != "_" {
                // `use a::b::{self}` names `b`.
                let key = if name == "self" { prefix.last().cloned().unwrap_or_default() } else { alias.to_owned() };
                if let Some(scope) = self.scope.last_mut() {
                    scope.insert(key, path.clone());
                }
            }
            self.record(path, line);
        }
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let test = is_cfg_test(&item.attrs);
        self.test_depth += usize::from(test);
        let line = item.use_token.span.start().line;
        self.use_tree(&mut Vec::new(), &item.tree, line);
        self.test_depth -= usize::from(test);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let test = is_cfg_test(&item.attrs);
        if let Some((_, items)) = &item.content {
            self.test_depth += usize::from(test);
            self.module.push(item.ident.to_string());
            self.scope.push(HashMap::new());
            // Uses first: a module's imports name things for the whole module.
            for inner in items.iter().filter(|inner| matches!(inner, syn::Item::Use(_))) {
                self.visit_item(inner);
            }
            for inner in items.iter().filter(|inner| !matches!(inner, syn::Item::Use(_))) {
                self.visit_item(inner);
            }
            self.scope.pop();
            self.module.pop();
            self.test_depth -= usize::from(test);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        let test = is_cfg_test(&item.attrs) || item.attrs.iter().any(|attribute| attribute.path().is_ident("test"));
        self.test_depth += usize::from(test);
        syn::visit::visit_item_fn(self, item);
        self.test_depth -= usize::from(test);
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let test = is_cfg_test(&item.attrs);
        self.test_depth += usize::from(test);
        syn::visit::visit_item_impl(self, item);
        self.test_depth -= usize::from(test);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|segment| segment.ident.to_string()).collect();
        // A single name is a local item or a binding; only paths cross modules.
        if segments.len() > 1 || path.leading_colon.is_some() {
            let segments = if path.leading_colon.is_some() {
                let mut outside = segments.clone();
                outside[0] = format!("::{}", outside[0]);
                return self.record(outside, path.segments[0].ident.span().start().line);
            } else {
                segments
            };
            if let Some(resolved) = self.resolve(&segments) {
                self.record(resolved, path.segments[0].ident.span().start().line);
            }
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every path each file names.
fn named_by_file(sources: &[Source]) -> Vec<(&Source, Vec<Named>)> {
    let modules: BTreeSet<ModulePath> = sources.iter().map(|source| source.module.clone()).collect();
    sources
        .iter()
        .map(|source| {
            let file = syn::parse_file(&source.text).unwrap_or_else(|error| panic!("{}: {error}", source.file));
            let mut walker = Walker {
                modules: &modules,
                module: source.module.clone(),
                test_depth: 0,
                scope: vec![HashMap::new()],
                named: Vec::new(),
            };
            // A file's uses name things for all of it, whatever their order.
            for item in file.items.iter().filter(|item| matches!(item, syn::Item::Use(_))) {
                walker.visit_item(item);
            }
            for item in file.items.iter().filter(|item| !matches!(item, syn::Item::Use(_))) {
                walker.visit_item(item);
            }
            (source, walker.named)
        })
        .collect()
}

/// What a layer must not name: crate modules, and outside crates (written `::name`).
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "domain" => &["app", "cli", "tui", "agent", "::ratatui", "::crossterm"],
        "app" => &["cli", "tui", "agent", "::ratatui"],
        "cli" => &["tui", "agent", "::ratatui"],
        "tui" => &["cli", "agent"],
        "agent" => &["cli", "tui", "::ratatui", "::crossterm"],
        _ => &[],
    }
}

fn layering_breaches(sources: &[Source]) -> Vec<String> {
    let mut breaches = Vec::new();
    for (source, named) in named_by_file(sources) {
        let Some(layer) = source.module.first() else { continue };
        for name in named {
            let Some(first) = name.path.first() else { continue };
            if forbidden(layer).contains(&first.as_str()) {
                let shown = name.path.join("::");
                breaches.push(format!("{}:{}: {layer} names {shown}", source.file, name.line));
            }
        }
    }
    breaches
}

/// The file a path lands in: the deepest module of it that is a file.
fn file_of<'s>(path: &[String], by_module: &BTreeMap<&ModulePath, &'s Source>) -> Option<&'s Source> {
    (1..=path.len()).rev().find_map(|end| by_module.get(&path[..end].to_vec()).copied())
}

/// Circles among the (non-test) imports of the files under `root` (e.g. `["tui"]`), each as
/// the files on it.
fn import_circles(sources: &[Source], root: &[&str]) -> Vec<Vec<String>> {
    let root: ModulePath = root.iter().map(|part| (*part).to_owned()).collect();
    let by_module: BTreeMap<&ModulePath, &Source> = sources.iter().map(|source| (&source.module, source)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (source, named) in named_by_file(sources) {
        if !source.module.starts_with(&root) {
            continue;
        }
        let targets = edges.entry(source.file.clone()).or_default();
        for name in named.iter().filter(|name| !name.in_test && name.path.starts_with(&root)) {
            if let Some(target) = file_of(&name.path, &by_module).filter(|target| target.file != source.file) {
                targets.insert(target.file.clone());
            }
        }
    }
    strongly_connected(&edges).into_iter().filter(|component| component.len() > 1).collect()
}

/// Tarjan's strongly connected components.
fn strongly_connected(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Search<'e> {
        edges: &'e BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'e str, usize>,
        low: HashMap<&'e str, usize>,
        stack: Vec<&'e str>,
        on_stack: BTreeSet<&'e str>,
        found: Vec<Vec<String>>,
    }
    impl<'e> Search<'e> {
        fn visit(&mut self, node: &'e str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.found.push(component);
            }
        }
    }
    let mut search = Search {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.found
}

#[test]
fn no_layer_imports_what_the_rule_forbids() {
    let breaches = layering_breaches(&read_sources());
    assert!(breaches.is_empty(), "layering rule broken:\n{}", breaches.join("\n"));
}

#[test]
fn the_files_of_the_screen_import_each_other_without_a_circle() {
    let circles = import_circles(&read_sources(), &["tui"]);
    let shown: Vec<String> = circles.iter().map(|circle| circle.join(" ⇄ ")).collect();
    assert!(circles.is_empty(), "import circles in src/tui (move the shared type down):\n{}", shown.join("\n"));
}

#[test]
fn the_check_sees_every_layer() {
    let layers: BTreeSet<String> = read_sources().iter().filter_map(|source| source.module.first().cloned()).collect();
    for expected in ["domain", "app", "cli", "tui"] {
        assert!(layers.contains(expected), "no files found for {expected}: the layout changed, update this test");
    }
}

#[test]
fn no_source_file_is_too_long_to_read_in_one_sitting() {
    let mut long = Vec::new();
    for source in read_sources() {
        let name = Path::new(&source.file).file_name().unwrap().to_string_lossy().into_owned();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let lines = source.text.lines().count();
        if lines > MAX_LINES {
            long.push(format!("{}: {lines} lines (at most {MAX_LINES})", source.file));
        }
    }
    assert!(long.is_empty(), "split these into a folder by responsibility:\n{}", long.join("\n"));
}

// ---- the checks, on sources written to break them ------------------------------------------

fn synthetic(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(file, text)| Source {
            file: format!("src/{file}"),
            module: module_of(Path::new(file)),
            text: (*text).to_owned(),
        })
        .collect()
}

/// A crate with every layer, each file harmless.
fn clean_crate() -> Vec<(&'static str, &'static str)> {
    vec![
        ("lib.rs", "pub mod app; pub mod cli; pub mod domain; pub mod tui; pub mod agent;"),
        ("domain/mod.rs", "pub mod engine; pub mod deep;"),
        ("domain/engine.rs", "pub struct Engine;"),
        ("domain/deep/mod.rs", "pub mod inner;"),
        ("domain/deep/inner.rs", "use super::super::engine::Engine;"),
        ("app/mod.rs", "use crate::domain::engine::Engine;"),
        ("cli/mod.rs", "use crate::{app, domain::engine};"),
        ("agent/mod.rs", "pub fn run() {}"),
        ("tui/mod.rs", "pub mod a; pub mod b; pub mod c;"),
        ("tui/a.rs", "use super::b::B; pub struct A;"),
        ("tui/b.rs", "pub struct B;"),
        ("tui/c.rs", "use crate::tui::{a::A, b};"),
    ]
}

fn with(mut files: Vec<(&'static str, &'static str)>, file: &'static str, text: &'static str) -> Vec<Source> {
    files.retain(|(name, _)| *name != file);
    files.push((file, text));
    synthetic(&files)
}

#[test]
fn the_checks_pass_a_clean_crate() {
    let sources = synthetic(&clean_crate());
    assert_eq!(layering_breaches(&sources), Vec::<String>::new());
    assert_eq!(import_circles(&sources, &["tui"]), Vec::<Vec<String>>::new());
}

#[test]
fn the_checks_catch_a_grouped_use_of_a_front_end() {
    let sources =
        with(clean_crate(), "domain/engine.rs", "use crate::{app::Options, domain::deep};\npub struct Engine;");
    let breaches = layering_breaches(&sources);
    assert_eq!(breaches, ["src/domain/engine.rs:1: domain names app::Options"]);
    let nested = with(clean_crate(), "domain/engine.rs", "use crate::{domain::{deep, self}, tui::{a::{A}}};");
    assert_eq!(layering_breaches(&nested), ["src/domain/engine.rs:1: domain names tui::a::A"]);
}

#[test]
fn the_checks_catch_super_paths_that_climb_out_of_the_layer() {
    let sources = with(clean_crate(), "domain/deep/inner.rs", "use super::super::super::tui::a::A;");
    assert_eq!(layering_breaches(&sources), ["src/domain/deep/inner.rs:1: domain names tui::a::A"]);
    let inline = with(clean_crate(), "domain/deep/inner.rs", "fn f() {\n    super::super::super::agent::run();\n}");
    assert_eq!(layering_breaches(&inline), ["src/domain/deep/inner.rs:2: domain names agent::run"]);
}

#[test]
fn the_checks_catch_paths_written_in_code_and_aliases() {
    let sources = with(clean_crate(), "domain/engine.rs", "fn f() {\n    let _ = crate::agent::run();\n}");
    assert_eq!(layering_breaches(&sources), ["src/domain/engine.rs:2: domain names agent::run"]);
    let alias = with(clean_crate(), "domain/engine.rs", "use crate as root;\nfn f() {\n    root::cli::go();\n}");
    assert!(
        layering_breaches(&alias).iter().any(|breach| breach.contains("domain names cli::go")),
        "{:?}",
        layering_breaches(&alias)
    );
    let terminal =
        with(clean_crate(), "domain/engine.rs", "use ratatui::Frame;\nfn f(_: ::crossterm::event::KeyEvent) {}");
    assert_eq!(
        layering_breaches(&terminal),
        [
            "src/domain/engine.rs:1: domain names ::ratatui::Frame",
            "src/domain/engine.rs:2: domain names ::crossterm::event::KeyEvent"
        ]
    );
}

#[test]
fn the_checks_catch_a_circle_of_imports_in_the_screen_but_not_in_its_tests() {
    let circle = with(clean_crate(), "tui/b.rs", "use crate::tui::{c};\npub struct B;");
    assert_eq!(import_circles(&circle, &["tui"]), [["src/tui/a.rs", "src/tui/b.rs", "src/tui/c.rs"]]);
    let via_code = with(clean_crate(), "tui/b.rs", "pub struct B;\nfn f() { super::a::A; }");
    assert_eq!(import_circles(&via_code, &["tui"]), [["src/tui/a.rs", "src/tui/b.rs"]]);
    let in_tests =
        with(clean_crate(), "tui/b.rs", "pub struct B;\n#[cfg(test)]\nmod tests {\n    use super::super::a::A;\n}");
    assert_eq!(
        import_circles(&in_tests, &["tui"]),
        Vec::<Vec<String>>::new(),
        "test code may import anything above it"
    );
}
