//! `repro-check compare` inside containers, on pairs built during the test with the real tools
//! (tar, gzip, zip via Python's zipfile, ar, dpkg-deb, py_compile, an OCI archive written per the
//! spec), one variation each, plus identical controls and hostile archives.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn sh(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("cannot run bash");
    assert!(
        out.status.success(),
        "{script}\nfailed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Compare `a` and `b` in `dir`: exit 1, and the cause kinds of the first file, in rank order.
fn kinds(dir: &Path, a: &str, b: &str) -> (Value, Vec<String>) {
    let out = run_in(dir, &["compare", "--json", a, b]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let v = json(&out);
    let k = v["files"][0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    (v, k)
}

fn text(dir: &Path, a: &str, b: &str) -> String {
    let out = run_in(dir, &["compare", a, b]);
    let t = stdout(&out);
    assert!(t.lines().count() <= 20, "more than 20 lines:\n{t}");
    t
}

fn identical(dir: &Path, a: &str, b: &str) {
    let out = run_in(dir, &["compare", a, b]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

const TREE: &str = "mkdir -p d/sub && printf 'hello\\n' > d/a && printf 'world\\n' > d/sub/b && chmod 644 d/a d/sub/b && chmod 755 d d/sub && touch -d @1600000000 d d/a d/sub d/sub/b";
const TAR: &str = "tar --sort=name --owner=0 --group=0 --numeric-owner --format=gnu";

#[test]
fn tar_member_times_are_timestamp_and_same_tar_is_identical() {
    if !have_tool("tar") || !have_tool("gzip") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        &format!(
            "{TREE}; {TAR} -cf - d | gzip -n > a.tar.gz; {TAR} -cf - d | gzip -n > same.tar.gz; \
             touch -d @1700000000 d/a; {TAR} -cf - d | gzip -n > b.tar.gz"
        ),
    );
    identical(dir.path(), "a.tar.gz", "same.tar.gz");
    let (v, k) = kinds(dir.path(), "a.tar.gz", "b.tar.gz");
    assert_eq!(k, ["timestamp"]);
    let cause = &v["files"][0]["causes"][0];
    assert!(cause["hint"].as_str().unwrap().contains("--clamp-mtime"));
    assert_eq!(cause["sections"], serde_json::json!(["a.tar.gz!d/a"]));
    let member = &v["files"][0]["members"][0];
    assert_eq!(member["name"], "a.tar.gz!d/a");
    assert_eq!(member["fields"][0]["field"], "mtime");
    let t = text(dir.path(), "a.tar.gz", "b.tar.gz");
    insta::assert_snapshot!("archive_tar_mtime_text", t);
    insta::assert_json_snapshot!("archive_tar_mtime_json", v["files"][0]);
}

#[test]
fn tar_owner_mode_and_order() {
    if !have_tool("tar") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        &format!(
            "{TREE}; {TAR} -cf base.tar d; \
             tar --sort=name --owner=1000 --group=1000 --numeric-owner --format=gnu -cf owner.tar d; \
             {TAR} --mode=g+w -cf mode.tar d; \
             tar --owner=0 --group=0 --numeric-owner --format=gnu -cf order.tar d/sub d/a d"
        ),
    );
    let (_, k) = kinds(dir.path(), "base.tar", "owner.tar");
    assert_eq!(k, ["ownership"]);
    let (v, k) = kinds(dir.path(), "base.tar", "mode.tar");
    assert_eq!(k, ["permissions"]);
    assert!(
        v["files"][0]["causes"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("mode 0755 vs 0775")
    );
    // order.tar lists d/sub before d/a, and d again at the end (tar adds it twice).
    let (v, k) = kinds(dir.path(), "base.tar", "order.tar");
    assert!(k.contains(&"ordering".to_string()), "{k:?}");
    let ordering = v["files"][0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "ordering")
        .unwrap();
    assert!(ordering["hint"].as_str().unwrap().contains("--sort=name"));
}

#[test]
fn gzip_name_and_time_vs_level() {
    if !have_tool("gzip") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "seq 1 20000 > data; touch -d @1600000000 data; gzip -c data > a.gz; \
         touch -d @1700000000 data; gzip -c data > b.gz; gzip -nc -1 data > fast.gz; gzip -nc -9 data > best.gz",
    );
    let (v, k) = kinds(dir.path(), "a.gz", "b.gz");
    assert_eq!(k, ["timestamp"]);
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("gzip -n")
    );
    let (_, k) = kinds(dir.path(), "fast.gz", "best.gz");
    assert_eq!(k, ["compression"]);
}

#[test]
fn zip_entry_times_and_order() {
    if !have_tool("python3") {
        return;
    }
    let dir = tempdir();
    let py = "import zipfile, sys\n\
        def make(path, when, names):\n\
        \x20   with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20       for n in names:\n\
        \x20           i = zipfile.ZipInfo(n, date_time=when); i.external_attr = 0o644 << 16\n\
        \x20           z.writestr(i, 'content of ' + n)\n\
        make('a.whl', (2020,1,1,0,0,0), ['pkg/__init__.py', 'pkg/mod.py'])\n\
        make('same.whl', (2020,1,1,0,0,0), ['pkg/__init__.py', 'pkg/mod.py'])\n\
        make('b.whl', (2024,1,1,0,0,0), ['pkg/__init__.py', 'pkg/mod.py'])\n\
        make('c.whl', (2020,1,1,0,0,0), ['pkg/mod.py', 'pkg/__init__.py'])\n";
    std::fs::write(dir.path().join("mk.py"), py).unwrap();
    sh(dir.path(), "python3 mk.py");
    identical(dir.path(), "a.whl", "same.whl");
    let (v, k) = kinds(dir.path(), "a.whl", "b.whl");
    assert_eq!(k, ["timestamp"]);
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("zip -X")
    );
    let (_, k) = kinds(dir.path(), "a.whl", "c.whl");
    assert_eq!(k, ["ordering"]);
}

#[test]
fn ar_dates_are_timestamp_with_ar_d() {
    if !have_tool("ar") || !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "echo 'int f(void){return 1;}' > f.c; gcc -c f.c; ar rcD a.a f.o; ar rcD same.a f.o; ar rcU b.a f.o",
    );
    identical(dir.path(), "a.a", "same.a");
    let (v, k) = kinds(dir.path(), "a.a", "b.a");
    assert_eq!(k.first().map(String::as_str), Some("timestamp"), "{k:?}");
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("ar D")
    );
}

#[test]
fn deb_nested_members_are_named_by_level() {
    if !have_tool("dpkg-deb") || !have_tool("xz") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "mkdir -p pkg/DEBIAN pkg/usr/share/doc/demo; \
         printf 'Package: demo\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@e>\\nDescription: d\\n' > pkg/DEBIAN/control; \
         echo hi > pkg/usr/share/doc/demo/README; \
         SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build pkg a.deb >/dev/null; \
         SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build pkg same.deb >/dev/null; \
         echo changed > pkg/usr/share/doc/demo/README; \
         SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build pkg b.deb >/dev/null",
    );
    identical(dir.path(), "a.deb", "same.deb");
    let (v, _) = kinds(dir.path(), "a.deb", "b.deb");
    let names: Vec<&str> = v["files"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"a.deb!data.tar.xz!./usr/share/doc/demo/README"),
        "{names:?}"
    );
    let m = v["files"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "a.deb!data.tar.xz!./usr/share/doc/demo/README")
        .unwrap();
    assert_eq!(m["line_diff"], serde_json::json!(["-hi", "+changed"]));
}

#[test]
fn pyc_source_mtime_is_timestamp() {
    if !have_tool("python3") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "echo 'X = 1' > m.py; touch -d @1600000000 m.py; python3 -c 'import py_compile; py_compile.compile(\"m.py\", cfile=\"a.pyc\")'; \
         python3 -c 'import py_compile; py_compile.compile(\"m.py\", cfile=\"same.pyc\")'; \
         touch -d @1700000000 m.py; python3 -c 'import py_compile; py_compile.compile(\"m.py\", cfile=\"b.pyc\")'",
    );
    identical(dir.path(), "a.pyc", "same.pyc");
    let (v, k) = kinds(dir.path(), "a.pyc", "b.pyc");
    assert_eq!(k, ["timestamp"]);
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("checked-hash")
    );
}

/// OCI images written per the image-spec: oci-layout, index.json → manifest → config (with
/// rootfs.diff_ids and history) and gzip layers; blobs named by their digests. As a tarball
/// (oci-archive) or as a layout directory.
const OCI_PY: &str = r#"
import hashlib, io, json, os, sys, tarfile, gzip
def blob(files, data):
    h = hashlib.sha256(data).hexdigest(); files['blobs/sha256/' + h] = data; return 'sha256:' + h, len(data)
def make(out, created, layers, directory=False):
    files = {}; descs = []; diffs = []
    for name, content in layers:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as t:
            i = tarfile.TarInfo(name); i.size = len(content); i.mtime = 1600000000
            t.addfile(i, io.BytesIO(content))
        ld, ls = blob(files, gzip.compress(raw.getvalue(), mtime=0))
        descs.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': ld, 'size': ls})
        diffs.append('sha256:' + hashlib.sha256(raw.getvalue()).hexdigest())
    config = json.dumps({'created': created, 'architecture': 'amd64', 'os': 'linux',
        'rootfs': {'type': 'layers', 'diff_ids': diffs},
        'history': [{'created': created, 'created_by': 'layer %d' % k} for k in range(len(layers))]}).encode()
    cd, cs = blob(files, config)
    manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': cs},
        'layers': descs}).encode()
    md, ms = blob(files, manifest)
    files['index.json'] = json.dumps({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': md, 'size': ms}]}).encode()
    files['oci-layout'] = b'{"imageLayoutVersion": "1.0.0"}'
    if directory:
        for name in files:
            os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
            open(os.path.join(out, name), 'wb').write(files[name])
        return
    with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as t:
        for name in sorted(files):
            i = tarfile.TarInfo(name); i.size = len(files[name]); i.mtime = 0
            t.addfile(i, io.BytesIO(files[name]))
old, new = '2020-01-01T00:00:00Z', '2024-01-01T00:00:00Z'
hello = [('app/hello.txt', b'hello\n')]
make('a.tar', old, hello)
make('same.tar', old, hello)
make('b.tar', new, hello)
make('c.tar', old, [('app/hello.txt', b'hello, world\n')])
base, extra, app = ('etc/base', b'base\n'), ('etc/extra', b'extra\n'), ('app/hello.txt', b'hello\n')
make('two.tar', old, [base, app])
make('three.tar', old, [base, extra, app])
make('swapped.tar', old, [app, base])
make('adir', old, hello, True)
make('samedir', old, hello, True)
make('bdir', new, [('app/hello.txt', b'hello, world\n')], True)
"#;

/// The member names of the first file's report.
fn member_names(v: &Value) -> Vec<&str> {
    v["files"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

#[test]
fn oci_archive_pairs_layers_by_position() {
    if !have_tool("python3") {
        return;
    }
    let dir = tempdir();
    std::fs::write(dir.path().join("oci.py"), OCI_PY).unwrap();
    sh(dir.path(), "python3 oci.py");
    identical(dir.path(), "a.tar", "same.tar");
    let (v, k) = kinds(dir.path(), "a.tar", "b.tar");
    assert_eq!(k, ["timestamp"], "{v:#}");
    let cause = &v["files"][0]["causes"][0];
    assert!(
        cause["evidence"]
            .as_str()
            .unwrap()
            .contains("config created"),
        "{cause}"
    );
    assert!(!v.to_string().contains("build-path"));
    // The layer is the same bytes in both: compared by digest, not unpacked (the archive's six
    // members: oci-layout, index.json, manifest, config, layer 1 and the archive itself).
    assert_eq!(v["files"][0]["members_compared"], 6, "{v:#}");
    // Other layer content: the member inside layer 1 is named and diffed, never by blob name.
    let (v, k) = kinds(dir.path(), "a.tar", "c.tar");
    assert!(
        v["files"][0]["members_compared"].as_u64().unwrap() > 6,
        "{v:#}"
    );
    assert!(!k.contains(&"build-path".to_string()), "{k:?}");
    assert!(
        member_names(&v).contains(&"a.tar!layer 1!app/hello.txt"),
        "{v:#}"
    );
}

#[test]
fn oci_layers_pair_by_diff_id_when_position_disagrees() {
    if !have_tool("python3") {
        return;
    }
    let dir = tempdir();
    std::fs::write(dir.path().join("oci.py"), OCI_PY).unwrap();
    sh(dir.path(), "python3 oci.py");
    // A layer inserted: B's layer 3 is A's layer 2 (same diff_id); B's layer 2 is new.
    let (v, k) = kinds(dir.path(), "two.tar", "three.tar");
    assert_eq!(k.first().map(String::as_str), Some("layout"), "{v:#}");
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("A's layer 2 is B's layer 3 (diff_id sha256:"),
        "{evidence}"
    );
    let names = member_names(&v);
    assert!(names.contains(&"two.tar!layer 2 (B)"), "{names:?}");
    // Layer 2's contents were paired with B's layer 3: nothing inside them differs.
    assert!(
        !names.iter().any(|n| n.contains("app/hello.txt")),
        "{names:?}"
    );
    // The same layers in another order: ordering, said once.
    let (v, k) = kinds(dir.path(), "two.tar", "swapped.tar");
    assert_eq!(k.first().map(String::as_str), Some("ordering"), "{v:#}");
    assert!(
        !member_names(&v)
            .iter()
            .any(|n| n.contains("!etc/") || n.contains("!app/")),
        "{v:#}"
    );
}

#[test]
fn oci_layout_directories_compare_through_index_json() {
    if !have_tool("python3") {
        return;
    }
    let dir = tempdir();
    std::fs::write(dir.path().join("oci.py"), OCI_PY).unwrap();
    sh(dir.path(), "python3 oci.py");
    identical(dir.path(), "adir", "samedir");
    let out = run_in(dir.path(), &["compare", "--json", "adir", "bdir"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    // One row for the image (its index.json); the blobs, named by digest, are not rows.
    let paths: Vec<&str> = (v["files"].as_array().unwrap().iter())
        .filter(|f| f["identical"] == false)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["index.json"], "{v:#}");
    let kinds: Vec<&str> = (v["files"][0]["causes"].as_array().unwrap().iter())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"timestamp"), "{v:#}");
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(evidence.contains("config created"), "{evidence}");
    assert!(
        member_names(&v).contains(&"index.json!layer 1!app/hello.txt"),
        "{v:#}"
    );
    let text = stdout(&run_in(dir.path(), &["compare", "adir", "bdir"]));
    assert!(!text.contains("blobs/"), "{text}");
}

/// The ar symbol table (`/`, written by `ar s` / `ranlib`) is a member of its own: its date,
/// whether it is there, and its symbols.
#[test]
fn ar_symbol_table_is_compared() {
    if !have_tool("gcc") || !have_tool("ar") || !have_tool("ranlib") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "printf 'int f1(void){return 1;}\\n' > a.c; printf 'int f1(void){return 1;}\\nint h1(void){return 2;}\\n' > a2.c; \
         printf 'int f2(void){return 3;}\\n' > b.c; gcc -c a.c b.c; gcc -c a2.c -o a2.o; \
         ar rcD one.a a.o b.o; ar rcD same.a a.o b.o; ar rcSD nosym.a a.o b.o; \
         cp one.a stamped.a; ranlib -U stamped.a; ar rcD other.a a2.o b.o",
    );
    identical(dir.path(), "one.a", "same.a");
    // ranlib -U dates the symbol table: timestamp, with the ar/ranlib hint.
    let (v, k) = kinds(dir.path(), "one.a", "stamped.a");
    assert_eq!(k, ["timestamp"], "{v:#}");
    let cause = &v["files"][0]["causes"][0];
    assert!(
        cause["evidence"]
            .as_str()
            .unwrap()
            .starts_with("(symbol table): mtime 0 "),
        "{cause}"
    );
    assert!(
        cause["hint"].as_str().unwrap().contains("ranlib -D"),
        "{cause}"
    );
    // No symbol table in B (ar S).
    let (v, k) = kinds(dir.path(), "one.a", "nosym.a");
    assert_eq!(k, ["layout"], "{v:#}");
    let cause = &v["files"][0]["causes"][0];
    assert!(
        cause["evidence"]
            .as_str()
            .unwrap()
            .contains("only A has one.a!(symbol table)")
    );
    assert!(
        cause["hint"].as_str().unwrap().contains("ranlib"),
        "{cause}"
    );
    // Other symbols: named.
    let (v, _) = kinds(dir.path(), "one.a", "other.a");
    let evidence: Vec<&str> = (v["files"][0]["causes"].as_array().unwrap().iter())
        .map(|c| c["evidence"].as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"(symbol table): symbols only in one build: (none) vs h1"),
        "{evidence:?}"
    );
}

#[test]
fn hostile_archives_fail_cleanly() {
    if !have_tool("zstd") || !have_tool("python3") || !have_tool("gzip") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "head -c 200000000 /dev/zero | zstd -q -3 > bomb.zst; head -c 100 /dev/zero | zstd -q > small.zst; \
         python3 -c \"import tarfile, io\nwith tarfile.open('many.tar', 'w') as t:\n  for i in range(100001):\n    t.addfile(tarfile.TarInfo('f%d' % i), io.BytesIO(b''))\"; \
         echo x > deep; for i in $(seq 1 20); do gzip -nc deep > deep.gz; mv deep.gz deep; done; cp deep deep2; \
         printf y > y; for i in $(seq 1 20); do gzip -nc y > y.gz; mv y.gz y; done",
    );
    for (a, b, want) in [
        ("bomb.zst", "small.zst", "expands more than"),
        ("many.tar", "many.tar", ""),
    ] {
        let out = run_in(dir.path(), &["compare", a, b]);
        if want.is_empty() {
            // Identical files are never unpacked.
            assert_eq!(out.status.code(), Some(0));
            continue;
        }
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(want) && err.contains(a), "{err}");
        assert!(err.lines().count() <= 2, "{err}");
    }
    sh(
        dir.path(),
        "python3 -c \"import tarfile, io\nwith tarfile.open('many2.tar', 'w') as t:\n  for i in range(100001):\n    t.addfile(tarfile.TarInfo('g%d' % i), io.BytesIO(b''))\"",
    );
    let out = run_in(dir.path(), &["compare", "many.tar", "many2.tar"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("more than 100000 members"),
        "{}",
        stderr(&out)
    );
    // Twenty nested gzip layers: past the depth limit, compared by digest, with a note.
    let out = run_in(dir.path(), &["compare", "deep", "y"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nested more than"),
        "{}",
        stdout(&out)
    );
}

/// `repro-check compare a b` in `dir` with its address space capped at 1 GiB: a bomb that were
/// unpacked into memory would abort instead of ending in a sentence.
fn compare_capped(dir: &Path, a: &str, b: &str) -> std::process::Output {
    Command::new("bash")
        .args(["-c", "ulimit -v 1048576; exec \"$0\" compare \"$1\" \"$2\""])
        .arg(bin())
        .args([a, b])
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Bombs (a zip entry of 9 MiB of zeros, a zstd stream expanding 30000× inside a tar) and path
/// tricks (tar names with `..`, `/` and escapes, an OCI layout whose digests climb out of
/// `blobs/`): a report or an error sentence naming the member, in bounded memory; never a crash.
#[test]
fn hostile_members_are_named_in_bounded_memory() {
    if !have_tool("python3") || !have_tool("zstd") || !have_tool("tar") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "python3 -c \"import zipfile\nfor n, size in (('bomb.zip', 9 << 20), ('small.zip', 10)):\n  with zipfile.ZipFile(n, 'w', zipfile.ZIP_DEFLATED) as z:\n    z.writestr(zipfile.ZipInfo('zeros', (2020, 1, 1, 0, 0, 0)), bytes(size))\"; \
         head -c 40000000 /dev/zero | zstd -q -3 > bomb.zst; printf x | zstd -q > small.zst; \
         tar --owner=0 --group=0 --mtime=@0 -cf nested.tar bomb.zst; tar --owner=0 --group=0 --mtime=@0 -cf plain.tar small.zst; \
         python3 -c \"import tarfile, io\nfor n, body in (('tricks.tar', b'a'), ('tricks2.tar', b'b')):\n  with tarfile.open(n, 'w') as t:\n    for name in ('../../etc/passwd', '/abs/path', 'a/../../b', 'esc\\x1b[31mred'):\n      i = tarfile.TarInfo(name); i.size = 1; t.addfile(i, io.BytesIO(body))\"; \
         for d in la lb; do mkdir -p $d/blobs/sha256; echo '{\"imageLayoutVersion\": \"1.0.0\"}' > $d/oci-layout; done; \
         echo '{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:../../../etc/passwd\", \"size\": 1}]}' > la/index.json; \
         echo '{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:../../../etc/hostname\", \"size\": 1}]}' > lb/index.json",
    );
    // Deflate expands at most ~1000×: streamed and hashed, never held.
    let out = compare_capped(dir.path(), "bomb.zip", "small.zip");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("zeros: contents differ (9437184 vs 10 bytes; too large to hold"),
        "{}",
        stdout(&out)
    );
    let out = compare_capped(dir.path(), "nested.tar", "plain.tar");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}{err}", stdout(&out));
    assert!(
        err.contains(
            "nested.tar cannot be unpacked at nested.tar!bomb.zst!bomb: it expands more than 1000×"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Names are reported, escaped, never followed.
    let out = compare_capped(dir.path(), "tricks.tar", "tricks2.tar");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("../../etc/passwd: contents differ"), "{text}");
    assert!(!text.contains('\x1b'), "{text}");
    // Digests that climb out of blobs/ name no blob: the index itself differs, nothing is read.
    let out = compare_capped(dir.path(), "la", "lb");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stdout(&out).contains("root:"), "{}", stdout(&out));
}

#[test]
fn go_build_id_and_vcs_revision() {
    if !have_tool("go") || !have_tool("git") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "export HOME=$PWD GOCACHE=$PWD/cache GOFLAGS= GOPATH=$PWD/gopath CGO_ENABLED=0 GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1; \
         mkdir src && cd src && printf 'module demo\\n\\ngo 1.19\\n' > go.mod && printf 'package main\\nfunc main() { println(1) }\\n' > main.go; \
         go build -trimpath -ldflags=-buildid=one -o ../id1; go build -trimpath -ldflags=-buildid=two -o ../id2; \
         git init -q . && git -c user.name=t -c user.email=t@e add . && git -c user.name=t -c user.email=t@e commit -qm one --date=@1600000000; \
         go build -trimpath -ldflags=-buildid=x -o ../vcs1; echo x > README; git -c user.name=t -c user.email=t@e add README; \
         git -c user.name=t -c user.email=t@e commit -qm two --date=@1700000000; go build -trimpath -ldflags=-buildid=x -o ../vcs2",
    );
    let (_, k) = kinds(dir.path(), "id1", "id2");
    assert_eq!(k, ["build-id-only"]);
    let (v, k) = kinds(dir.path(), "vcs1", "vcs2");
    assert_eq!(k.first().map(String::as_str), Some("version-info"), "{v:#}");
    assert!(!k.contains(&"code".to_string()), "{k:?}");
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("-buildvcs=false")
    );
}

#[test]
fn gcc_opt_level_is_flags() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "printf 'int sq(int x){int s=0; for(int i=0;i<x;i++) s+=i*x; return s;}\\nint main(int c, char **v){return sq(c);}\\n' > f.c; \
         gcc -g -O1 -o o1 f.c; gcc -g -O2 -o o2 f.c",
    );
    let (v, k) = kinds(dir.path(), "o1", "o2");
    assert_eq!(k.first().map(String::as_str), Some("flags"), "{v:#}");
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("-O1") && evidence.contains("-O2"),
        "{evidence}"
    );
    assert!(!k.contains(&"code".to_string()), "{k:?}");
}

#[test]
fn many_files_with_one_cause_are_said_once() {
    if !have_tool("gzip") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "mkdir a b; for i in 1 2 3 4; do seq $i 999 > f$i; touch -d @1600000000 f$i; gzip -c f$i > a/f$i.gz; \
         touch -d @1700000000 f$i; gzip -c f$i > b/f$i.gz; done",
    );
    let out = run_in(dir.path(), &["compare", "a", "b"]);
    assert_eq!(out.status.code(), Some(1));
    let t = stdout(&out);
    assert_eq!(t.matches("fix:").count(), 1, "{t}");
    assert!(
        t.contains("and 3 more files for the same reason: f2.gz, f3.gz, f4.gz"),
        "{t}"
    );
}

#[test]
fn nar_and_nar_xz_members() {
    if !have_tool("nix-store") || !have_tool("xz") {
        return;
    }
    let dir = tempdir();
    sh(
        dir.path(),
        "mkdir -p t/bin && echo one > t/bin/x && chmod +x t/bin/x && ln -s bin/x t/link && nix-store --dump t > a.nar; \
         nix-store --dump t | xz > same.nar.xz; xz -c a.nar > a.nar.xz; chmod -x t/bin/x; echo two > t/bin/x; nix-store --dump t | xz > b.nar.xz",
    );
    identical(dir.path(), "a.nar.xz", "same.nar.xz");
    let (v, k) = kinds(dir.path(), "a.nar.xz", "b.nar.xz");
    assert_eq!(k, ["permissions", "code"], "{v:#}");
    let m = &v["files"][0]["members"][0];
    assert_eq!(m["name"], "a.nar.xz!/bin/x");
    assert_eq!(m["line_diff"], serde_json::json!(["-one", "+two"]));
}

/// Corruption sweep over real archives (tar.gz, tar.xz, tar.zst, zip, ar, .deb and an OCI
/// archive, made by the real tools): each truncated at a spread of offsets and with bytes
/// overwritten there (densely in the first KiB, where the headers are), compared in-process
/// against the intact file as bytes in memory. Each variant must end in a comparison or one
/// sentence naming the damaged file, quickly and without a panic.
#[test]
fn corrupted_archives_give_a_comparison_or_a_sentence() {
    for tool in ["tar", "gzip", "xz", "zstd", "ar", "dpkg-deb", "python3"] {
        if !have_tool(tool) {
            return;
        }
    }
    use repro_check::compare;
    use repro_check::manifest::Build;
    let dir = tempdir();
    std::fs::write(dir.path().join("oci.py"), OCI_PY).unwrap();
    sh(
        dir.path(),
        "mkdir -p t/d pkg/DEBIAN pkg/usr/share/demo; for i in 1 2 3 4 5 6; do seq $i 900 > t/d/f$i; done; \
         tar --sort=name --owner=0 --group=0 --mtime=@0 -cf t.tar t; gzip -nk t.tar; xz -k t.tar; zstd -q t.tar; \
         python3 -c \"import zipfile\nwith zipfile.ZipFile('t.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n  for i in range(1, 7): z.write('t/d/f%d' % i)\"; \
         ar rcD t.a t/d/f1 t/d/f2; \
         printf 'Package: demo\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@e>\\nDescription: d\\n' > pkg/DEBIAN/control; \
         cp t/d/f1 pkg/usr/share/demo/; SOURCE_DATE_EPOCH=1600000000 dpkg-deb --root-owner-group -Zxz --build pkg t.deb >/dev/null; \
         python3 oci.py",
    );
    let mut variants = 0;
    for name in [
        "t.tar.gz",
        "t.tar.xz",
        "t.tar.zst",
        "t.zip",
        "t.a",
        "t.deb",
        "a.tar",
    ] {
        let intact = std::fs::read(dir.path().join(name)).unwrap();
        let len = intact.len();
        let mut offsets: Vec<usize> = (0..1024.min(len)).step_by(7).collect();
        offsets.extend((0..64).map(|k| k * len / 64));
        offsets.extend([len - 1, len.saturating_sub(22), len.saturating_sub(512)]);
        for at in offsets {
            let mut overwritten = intact.clone();
            for b in overwritten.iter_mut().skip(at).take(4) {
                *b ^= 0xff;
            }
            for (how, bytes) in [("cut", intact[..at].to_vec()), ("overwritten", overwritten)] {
                variants += 1;
                let label = format!("{name}-{how}-at-{at}");
                let start = std::time::Instant::now();
                let result = std::panic::catch_unwind(|| {
                    compare::compare(&[
                        Build::memory(name, intact.clone()),
                        Build::memory(&label, bytes),
                    ])
                });
                let result = result.unwrap_or_else(|_| panic!("{label}: panicked"));
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(5),
                    "{label}: too slow"
                );
                if let Err(e) = result {
                    let sentence = e.to_string();
                    assert!(
                        !sentence.contains('\n') && sentence.contains(&label),
                        "{label}: {sentence}"
                    );
                }
            }
        }
    }
    assert!(variants > 1000, "{variants}");
}
