//! OCI image archives (`oci-archive`, an OCI layout in a tar) and `docker save` archives: blobs
//! are named by their digest, so two builds' blobs never share a name. This follows index →
//! manifest → config → layers and renames the blobs by role and position (`manifest`, `config`,
//! `layer 1`…), so that the builds' layers pair (by position and `diff_id`, see
//! [`crate::compare`]) and differences show inside them. An OCI layout directory is read the same
//! way, from its files.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use serde_json::Value;

/// Metadata files read in the first pass are at most this large.
const MAX_JSON: u64 = 1 << 20;
/// And at most this large together.
const MAX_TOTAL: u64 = 16 << 20;

/// What the first pass learns about an image: blob paths renamed by role, and each layer's
/// `diff_id` from the config.
#[derive(Debug, Default)]
pub struct Image {
    /// Member path (without `./`) → name by role.
    pub aliases: BTreeMap<String, String>,
    /// Each layer's name by role and its `diff_id` (the SHA-256 of its uncompressed tar), in order.
    pub layers: Vec<(String, Option<String>)>,
}

/// The image in the archive `archive` reads; empty when it is not one. A damaged archive also
/// gives an empty image: the main pass reports the damage.
pub fn aliases(archive: impl Read + Seek) -> Image {
    let mut archive = tar::Archive::new(archive);
    let mut json: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    // Seeking past the layers: only headers and small JSON files are read.
    let Ok(entries) = archive.entries_with_seek() else {
        return Image::default();
    };
    for entry in entries {
        let Ok(mut e) = entry else {
            return Image::default();
        };
        let size = e.size();
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_start_matches("./")
            .to_string();
        let wanted = name == "index.json"
            || name == "manifest.json"
            || name.starts_with("blobs/")
            || name.ends_with(".json");
        if wanted && size <= MAX_JSON && total + size <= MAX_TOTAL {
            let mut peek = [0u8; 1];
            let mut bytes = Vec::new();
            // Only JSON objects and arrays are kept; layers are skipped unread.
            if e.read(&mut peek).is_ok_and(|n| n == 1) && matches!(peek[0], b'{' | b'[') {
                bytes.push(peek[0]);
                if e.read_to_end(&mut bytes).is_ok() {
                    total += size;
                    json.insert(name, bytes);
                }
            }
        }
    }
    follow(|name| serde_json::from_slice(json.get(name)?).ok())
}

/// The image in the OCI layout directory `dir` (`oci-layout`, `index.json`, `blobs/`).
pub fn layout(dir: &Path) -> Image {
    let total = std::cell::Cell::new(0u64);
    follow(|name| {
        let file = File::open(dir.join(name)).ok()?;
        let size = file.metadata().ok()?.len();
        if size > MAX_JSON || total.get() + size > MAX_TOTAL {
            return None;
        }
        total.set(total.get() + size);
        let mut bytes = Vec::new();
        file.take(MAX_JSON).read_to_end(&mut bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    })
}

/// Follow index → manifest → config and layers (OCI), or `manifest.json` (docker save), reading
/// the JSON documents with `parse`.
fn follow(parse: impl Fn(&str) -> Option<Value>) -> Image {
    // Per the image-spec's digest grammar; anything else (`sha256:../../x`) names no blob.
    let blob = |digest: &str| -> Option<String> {
        let (algo, hex) = digest.split_once(':')?;
        let ok = |s: &str, extra: &[u8]| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
        };
        (ok(algo, b"+._-") && ok(hex, b"=_-")).then(|| format!("blobs/{algo}/{hex}"))
    };
    let mut out = Image::default();
    let diff_ids = |config: &str| -> Vec<Option<String>> {
        let c = parse(config).unwrap_or_default();
        (c["rootfs"]["diff_ids"].as_array().into_iter().flatten())
            .map(|d| d.as_str().map(str::to_string))
            .collect()
    };
    // docker save: manifest.json lists Config and Layers by path.
    if let Some(Value::Array(images)) = parse("manifest.json") {
        for (k, image) in images.iter().enumerate() {
            let prefix = if images.len() > 1 {
                format!("image {} ", k + 1)
            } else {
                String::new()
            };
            let mut ids = Vec::new();
            if let Some(c) = image["Config"].as_str() {
                out.aliases.insert(c.to_string(), format!("{prefix}config"));
                ids = diff_ids(c);
            }
            for (i, l) in image["Layers"].as_array().into_iter().flatten().enumerate() {
                if let Some(l) = l.as_str() {
                    let name = format!("{prefix}layer {}", i + 1);
                    out.aliases.insert(l.to_string(), name.clone());
                    out.layers.push((name, ids.get(i).cloned().flatten()));
                }
            }
        }
        return out;
    }
    // OCI: index.json → (nested indexes) → manifests → config and layers.
    let Some(index) = parse("index.json") else {
        return out;
    };
    let mut manifests: Vec<String> = Vec::new();
    let mut queue: Vec<(Value, usize)> = vec![(index, 0)];
    while let Some((idx, level)) = queue.pop() {
        for m in idx["manifests"].as_array().into_iter().flatten() {
            let Some(path) = m["digest"].as_str().and_then(blob) else {
                continue;
            };
            let media = m["mediaType"].as_str().unwrap_or_default();
            if media.contains("index") || media.contains("manifest.list") {
                if level < 4
                    && let Some(v) = parse(&path)
                {
                    out.aliases.insert(path, format!("index {}", level + 2));
                    queue.push((v, level + 1));
                }
            } else {
                manifests.push(path);
            }
        }
    }
    for (k, path) in manifests.iter().enumerate() {
        let prefix = if manifests.len() > 1 {
            format!("image {} ", k + 1)
        } else {
            String::new()
        };
        let Some(m) = parse(path) else { continue };
        out.aliases
            .insert(path.clone(), format!("{prefix}manifest"));
        let mut ids = Vec::new();
        if let Some(c) = m["config"]["digest"].as_str().and_then(blob) {
            ids = diff_ids(&c);
            out.aliases.insert(c, format!("{prefix}config"));
        }
        for (i, l) in m["layers"].as_array().into_iter().flatten().enumerate() {
            if let Some(l) = l["digest"].as_str().and_then(blob) {
                let name = format!("{prefix}layer {}", i + 1);
                if let std::collections::btree_map::Entry::Vacant(e) = out.aliases.entry(l) {
                    e.insert(name.clone());
                    out.layers.push((name, ids.get(i).cloned().flatten()));
                }
            }
        }
    }
    out
}
