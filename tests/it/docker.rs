//! Keeps `docker/Dockerfile`, `docker/compose.yaml` and the README's configuration table honest
//! without a Docker engine.
//!
//! The image test replays the Dockerfile's build stage: its COPYs into `target/docker-context`,
//! its cargo commands there with its ENV (release profile, static glibc), in a target dir of its
//! own (`target/docker`, so it does not thrash the debug build). The first build is a release
//! build with LTO: about 9 minutes on 2 busy cores; later runs rebuild only what changed. So that
//! `cargo test` stays quick, that test is `#[ignore]`d and `.ci/run` runs it as a step of its own
//! (`cargo test --test it -- --ignored docker::`). It starts the binary the way the image's
//! ENTRYPOINT and CMD would, with the runtime ENV and WORKDIR (container paths mapped into a
//! temporary folder), and runs the HEALTHCHECK command.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use offcloud::config::{Cli, PortSetting};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// The README's configuration table, generated from the same clap definition `offcloud --help`
// prints.

const TABLE_BEGIN: &str = "<!-- configuration table: generated from `offcloud --help` by tests/it/docker.rs; regenerate with OFFCLOUD_UPDATE_README=1 cargo test --test it docker:: -->";
const TABLE_END: &str = "<!-- end of configuration table -->";

fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// One row per flag: flag, environment variable, default, what it does.
fn configuration_table() -> String {
    let command = Cli::command();
    let mut table =
        String::from("| flag | environment | default | what it does |\n|---|---|---|---|\n");
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if arg.is_hide_set() || long == "help" || long == "version" {
            continue;
        }
        let env = arg
            .get_env()
            .map(|e| format!("`{}`", e.to_string_lossy()))
            .unwrap_or_default();
        let default = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        let default = if !arg.get_action().takes_values() {
            // A switch: off unless given (or its variable is `true`).
            "`false`".to_owned()
        } else if default.is_empty() {
            String::new()
        } else {
            format!("`{default}`")
        };
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        table.push_str(&format!(
            "| `--{long}` | {env} | {} | {} |\n",
            cell(&default),
            cell(&help)
        ));
    }
    table
}

#[test]
fn the_readme_configuration_table_matches_offcloud_help() {
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = readme
        .find(TABLE_BEGIN)
        .expect("README.md has the configuration table's begin marker");
    let end = readme
        .find(TABLE_END)
        .expect("README.md has the configuration table's end marker");
    let current = &readme[begin + TABLE_BEGIN.len()..end];
    let wanted = format!("\n{}", configuration_table());
    if current == wanted {
        return;
    }
    if std::env::var_os("OFFCLOUD_UPDATE_README").is_some_and(|v| v == "1") {
        let updated = format!(
            "{}{wanted}{}",
            &readme[..begin + TABLE_BEGIN.len()],
            &readme[end..]
        );
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's configuration table does not match `offcloud --help` (a flag was added, \
         removed or reworded). Regenerate it with\n\n    \
         OFFCLOUD_UPDATE_README=1 cargo test --test it docker::the_readme_configuration_table\n\n\
         and commit README.md. Wanted:\n{wanted}"
    );
}

#[test]
fn every_flag_has_an_offcloud_environment_variable() {
    let table = configuration_table();
    for row in table.lines().skip(2) {
        assert!(
            row.contains("| `OFFCLOUD_"),
            "no OFFCLOUD_* variable: {row}"
        );
    }
    assert!(table.contains("`--tls-port` | `OFFCLOUD_TLS_PORT` | `off`"));
}

// ---------------------------------------------------------------------------------------------
// Reading the Dockerfile.

/// One instruction: its keyword (upper case) and the rest of the line, continuations joined.
#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
}

/// The Dockerfile's stages, each the list of its instructions from its FROM on.
fn dockerfile() -> Vec<Vec<Instruction>> {
    let text = std::fs::read_to_string(repo().join("docker/Dockerfile")).unwrap();
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        };
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the Dockerfile starts with FROM")
            .push(instruction);
    }
    stages
}

fn all<'a>(stage: &'a [Instruction], keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    stage
        .iter()
        .filter(move |i| i.keyword == keyword)
        .map(|i| i.args.as_str())
}

fn last<'a>(stage: &'a [Instruction], keyword: &'a str) -> &'a str {
    all(stage, keyword)
        .last()
        .unwrap_or_else(|| panic!("the stage has no {keyword}"))
}

/// Splits on white space, keeping double-quoted parts together (without their quotes).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// A stage's ENV, in order.
fn env_of(stage: &[Instruction]) -> Vec<(String, String)> {
    all(stage, "ENV")
        .flat_map(words)
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("write ENV as KEY=VALUE: {pair}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// An exec-form (JSON array) command.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not an exec-form array: {args}: {e}"))
}

/// COPY sources taken from the build context (not from another stage).
fn context_sources(stages: &[Vec<Instruction>]) -> Vec<String> {
    let mut sources = Vec::new();
    for stage in stages {
        for args in all(stage, "COPY") {
            let words = words(args);
            if words.iter().any(|w| w.starts_with("--from=")) {
                continue;
            }
            let paths: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
            let (_destination, sources_here) = paths.split_last().expect("COPY has a destination");
            sources.extend(sources_here.iter().map(|s| s.to_string()));
        }
    }
    sources
}

#[test]
fn every_path_the_dockerfile_copies_exists_and_is_in_the_build_context() {
    let stages = dockerfile();
    let sources = context_sources(&stages);
    // .cargo holds the build's settings (SQLite's flags): the replay below would find this
    // repository's own above its context folder, an image build would not.
    for wanted in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo",
        "src",
        "migrations",
        "fixtures",
    ] {
        assert!(
            sources.iter().any(|s| s == wanted),
            "the image copies {wanted}"
        );
    }
    // .dockerignore sends nothing but what it lists with `!`.
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let sent: BTreeSet<&str> = ignore
        .lines()
        .filter_map(|l| l.trim().strip_prefix('!'))
        .map(|l| l.trim_end_matches('/'))
        .collect();
    assert!(ignore.lines().any(|l| l.trim() == "*"));
    for source in &sources {
        let source = source.trim_end_matches('/').trim_start_matches("./");
        assert!(repo().join(source).exists(), "COPY {source}: no such path");
        let top = source.split('/').next().unwrap();
        assert!(
            sent.contains(top),
            "COPY {source}: .dockerignore leaves it out"
        );
    }
    // The shipped fixtures are there, one per service.
    for service in offcloud::services::all().iter() {
        let file = format!("fixtures/{}.yaml", service.name());
        assert!(repo().join(&file).exists(), "{file}");
    }
    // The migrations sqlx embeds at compile time are copied before the build.
    let build = &stages[0];
    let copied_before_build = build
        .iter()
        .take_while(|i| !(i.keyword == "RUN" && i.args.contains("cargo build")))
        .filter(|i| i.keyword == "COPY")
        .count();
    assert!(copied_before_build >= 3);
}

#[test]
fn the_image_exposes_every_default_port_runs_as_non_root_and_checks_its_health() {
    let stages = dockerfile();
    let runtime = stages.last().unwrap();
    assert!(
        runtime[0].args.starts_with("gcr.io/distroless/static"),
        "a static binary needs no libc in the image"
    );
    let exposed: BTreeSet<u16> = all(runtime, "EXPOSE")
        .flat_map(|a| a.split_whitespace().map(|p| p.parse::<u16>().unwrap()))
        .collect();
    let defaults = offcloud::Config::defaults();
    let mut ports = vec![defaults.port];
    ports.extend(offcloud::services::all().iter().map(|s| s.port(&defaults)));
    for port in ports {
        let PortSetting::Port(port) = port else {
            continue;
        };
        assert!(exposed.contains(&port), "EXPOSE {port}");
    }
    assert!(!last(runtime, "USER").starts_with("0") && !last(runtime, "USER").starts_with("root"));
    assert_eq!(last(runtime, "VOLUME"), "/data");
    let entrypoint = exec_form(last(runtime, "ENTRYPOINT"));
    let healthcheck = last(runtime, "HEALTHCHECK");
    let (_, command) = healthcheck.split_once("CMD").expect("HEALTHCHECK ... CMD");
    assert_eq!(
        exec_form(command.trim()),
        vec![entrypoint[0].clone(), "healthcheck".to_owned()]
    );
}

#[test]
fn the_compose_file_aliases_every_real_host_name() {
    let compose = std::fs::read_to_string(repo().join("docker/compose.yaml")).unwrap();
    for service in offcloud::services::all().iter() {
        for host in service.real_hosts() {
            assert!(
                compose.contains(&format!("- {host}\n")),
                "compose.yaml: no network alias for {host}"
            );
        }
    }
    assert!(compose.contains("dockerfile: docker/Dockerfile"));
    assert!(compose.contains("[\"CMD\", \"/offcloud\", \"healthcheck\"]"));
}

// ---------------------------------------------------------------------------------------------
// Building and starting the binary as the image does.

/// Whether an ELF file asks for a dynamic loader (has a PT_INTERP program header).
fn needs_a_dynamic_loader(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit ELF");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
#[ignore = "a release build with LTO, minutes long: .ci/run runs it as a step of its own (cargo test --test it -- --ignored docker::)"]
fn the_binary_built_as_the_dockerfile_builds_it_starts_as_the_image_does_and_passes_its_healthcheck()
 {
    let stages = dockerfile();
    let (build, runtime) = (&stages[0], stages.last().unwrap());

    // The build stage, replayed: its COPYs from the repository into a build context folder
    // (only what the image gets: a file the build needs but the Dockerfile forgets fails here),
    // then its cargo commands there, with the stage's ENV, the toolchain's own variables and
    // nothing else from this test's environment, and a target dir of its own.
    let target = repo().join("target");
    let context = target.join("docker-context");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context).unwrap();
    for args in all(build, "COPY") {
        let words = words(args);
        let (destination, sources) = words.split_last().unwrap();
        // `cp -a` keeps modification times, so cargo rebuilds only what changed.
        let status = Command::new("cp")
            .arg("-a")
            .args(sources)
            .arg(context.join(destination))
            .current_dir(repo())
            .status()
            .unwrap();
        assert!(status.success(), "COPY {args}");
    }
    let mut build_env = env_of(build);
    for (key, value) in &mut build_env {
        if key == "CARGO_TARGET_DIR" {
            *value = target.join("docker").display().to_string();
        }
    }
    assert!(
        build_env
            .iter()
            .any(|(k, v)| k == "RUSTFLAGS" && v.contains("+crt-static"))
    );
    let toolchain_env: Vec<(String, String)> = [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
    ]
    .into_iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_owned(), v)))
    .collect();
    let shell = |script: &str| {
        let mut command = Command::new("sh");
        command
            .args(["-c", script])
            .current_dir(&context)
            .env_clear()
            .envs(toolchain_env.iter().chain(&build_env).map(|(k, v)| (k, v)));
        command
    };
    let mut copy = None;
    for run in all(build, "RUN") {
        for step in run.split("&&").map(str::trim) {
            if step.starts_with("cargo ") {
                let status = shell(step).status().unwrap();
                assert!(status.success(), "the Dockerfile's `{step}` failed");
            } else if step.starts_with("cp ") {
                copy = Some(words(step));
            }
        }
    }
    // `cp BINARY /offcloud`: where the build put the binary, and where the image takes it from.
    let copy = copy.expect("the build stage copies the binary out of the target dir");
    let (copied_from, copied_to) = (copy[1].clone(), copy[2].clone());
    let binary = shell(&format!("printf '%s' \"{copied_from}\""))
        .output()
        .unwrap()
        .stdout;
    let binary = PathBuf::from(String::from_utf8(binary).unwrap());

    // The runtime stage copies that file to the ENTRYPOINT.
    let entrypoint = exec_form(last(runtime, "ENTRYPOINT"));
    let copied_in = all(runtime, "COPY")
        .map(words)
        .find(|w| w.iter().any(|x| x == "--from=build") && w.contains(&copied_to))
        .expect("the runtime stage copies the built binary");
    assert_eq!(copied_in.last().unwrap(), &entrypoint[0]);

    let elf = std::fs::read(&binary).unwrap();
    assert!(
        !needs_a_dynamic_loader(&elf),
        "distroless/static has no libc: the binary must be static"
    );
    let size = elf.len() as u64;
    assert!(
        // Docker counts in decimal megabytes; distroless/static is about 2 MB of them.
        size < 18_000_000,
        "the binary is {size} bytes: the image (about 2 MB of distroless + the binary) must stay \
         under 20 MB"
    );

    // Start it as the image does: ENTRYPOINT + CMD, the runtime ENV, in WORKDIR. Container paths
    // under WORKDIR map into a temporary folder; ports are free ones instead of the defaults
    // (inside a container those are free; here they may not be).
    let root = tempfile::tempdir().unwrap();
    let workdir = last(runtime, "WORKDIR").to_owned();
    let map = |value: &str| match value.strip_prefix(&workdir) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", root.path().display())
        }
        _ => value.to_owned(),
    };
    let mut env: Vec<(String, String)> = env_of(runtime)
        .into_iter()
        .map(|(k, v)| (k, map(&v)))
        .collect();
    // With the shipped fixtures loaded, as `-e OFFCLOUD_FIXTURES=<the folder the image copies
    // them to>` does: they must load in the binary the image runs.
    let fixtures_copy = all(runtime, "COPY")
        .map(words)
        .find(|w| w.first().is_some_and(|source| source == "fixtures"))
        .expect("the runtime stage copies the shipped fixtures");
    assert!(fixtures_copy[1].starts_with('/'));
    env.push((
        "OFFCLOUD_FIXTURES".into(),
        repo().join("fixtures").display().to_string(),
    ));
    let port = free_port();
    env.push(("OFFCLOUD_PORT".into(), port.to_string()));
    for name in ["MEMGRAPH", "TYPEDB", "HASURA", "DGRAPH"] {
        env.push((format!("OFFCLOUD_{name}_PORT"), free_port().to_string()));
    }
    let offcloud = |args: &[String]| {
        let mut command = Command::new(&binary);
        command
            .args(args)
            .current_dir(root.path())
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)));
        command
    };
    let cmd = exec_form(last(runtime, "CMD"));
    let mut args: Vec<String> = entrypoint[1..].to_vec();
    args.extend(cmd);
    let mut server = offcloud(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let healthcheck = last(runtime, "HEALTHCHECK");
    let (_, check) = healthcheck.split_once("CMD").unwrap();
    let check = exec_form(check.trim());
    let healthy = || {
        offcloud(&check[1..])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let started = Instant::now();
    while !healthy() {
        if let Some(exit) = server.try_wait().unwrap() {
            panic!("the server exited: {exit:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // State goes to the volume.
    assert!(
        root.path().join("offcloud.db").exists(),
        "the database is in /data"
    );

    // `docker stop` sends SIGTERM: a clean exit.
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stopped = Instant::now();
    let exit = loop {
        if let Some(exit) = server.try_wait().unwrap() {
            break exit;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "no stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn the_release_profile_keeps_panics_recoverable() {
    // The server answers a panicking handler with a 500 through tower-http's CatchPanicLayer and
    // keeps serving; `panic = "abort"` would make one bad request crash the CI fixture.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let release = manifest
        .split("[profile.release]")
        .nth(1)
        .expect("Cargo.toml has a [profile.release]");
    let release = release.split("\n[").next().unwrap();
    let setting = |key: &str| {
        release
            .lines()
            .find_map(|l| l.strip_prefix(key)?.trim().strip_prefix('=').map(str::trim))
            .map(str::to_owned)
    };
    assert_eq!(setting("panic").as_deref(), Some("\"unwind\""));
    assert_eq!(setting("strip").as_deref(), Some("true"));
    assert!(setting("lto").is_some());
}
