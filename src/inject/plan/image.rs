//! `service.version` from a container image reference, as the operator's
//! `parseServiceVersionFromImage` reads it with
//! `github.com/distribution/reference.Parse` (not normalised):
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] path-component ['/' path-component]*   (≤ 255 bytes)
//! domain           := host [':' port]      host := domain-name | '[' IPv6 ']'
//! domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! path-component   := [a-z0-9]+ (separator [a-z0-9]+)*    separator := [_.] | __ | -+
//! tag              := [\w][\w.-]{0,127}
//! digest           := algorithm ':' hex{32,}, then checked by go-digest:
//!                     sha256/sha384/sha512 with exactly 64/96/128 lowercase hex digits
//! ```

/// `<tag>@<digest>`, `<digest>` or `<tag>`; `None` when the reference has
/// neither or does not parse.
pub fn service_version_from_image(image: &str) -> Option<String> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !is_valid_digest(d)) {
        return None;
    }
    let (name, tag) = split_tag(rest);
    if tag.is_some_and(|t| !is_valid_tag(t)) || !is_valid_name(name) {
        return None;
    }
    match (tag, digest) {
        (Some(tag), Some(digest)) => Some(format!("{tag}@{digest}")),
        (None, Some(digest)) => Some(digest.to_string()),
        (Some(tag), None) => Some(tag.to_string()),
        (None, None) => None,
    }
}

/// A tag never contains `/`, and a `:` in the name (a registry port) is
/// always followed by a `/`; so the last `:` starts a tag exactly when no
/// `/` follows it.
fn split_tag(reference: &str) -> (&str, Option<&str>) {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (reference, None),
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars.next().is_some_and(is_word)
        && tag.len() <= 128
        && chars.all(|c| is_word(c) || c == '.' || c == '-')
}

const NAME_TOTAL_LENGTH_MAX: usize = 255;

fn is_valid_name(name: &str) -> bool {
    if name.is_empty() || name.len() > NAME_TOTAL_LENGTH_MAX {
        return false;
    }
    let components: Vec<&str> = name.split('/').collect();
    let all_paths = components.iter().all(|c| is_path_component(c));
    let domain_then_paths = components.len() > 1
        && is_domain(components[0])
        && components[1..].iter().all(|c| is_path_component(c));
    all_paths || domain_then_paths
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    component
        .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        .filter(|separator| !separator.is_empty())
        .all(|separator| {
            matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-')
        })
}

fn is_domain(domain: &str) -> bool {
    let (host, port) = if let Some(ipv6_end) = domain.strip_prefix('[').and_then(|d| d.find(']')) {
        let inside = &domain[1..=ipv6_end];
        let valid_ipv6 =
            !inside.is_empty() && inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
        if !valid_ipv6 {
            return false;
        }
        (None, &domain[ipv6_end + 2..])
    } else {
        match domain.find(':') {
            Some(colon) => (Some(&domain[..colon]), &domain[colon..]),
            None => (Some(domain), ""),
        }
    };
    let valid_port = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    valid_port && host.is_none_or(|h| h.split('.').all(is_domain_component))
}

fn is_domain_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// The digest grammar, then go-digest's check of the algorithms it knows.
fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        // Unknown algorithms parse but are "unsupported": an error.
        _ => return false,
    };
    hex.len() == expected_len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
