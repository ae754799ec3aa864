//! glibc or musl: the `otel-python-platform` annotation, `spec.platform`,
//! or the target container's image (product.md §3; operator-python.md §1.2).

use crate::config::Platform;

/// Where the platform came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformSource {
    /// The merged `otel-python-platform` annotation.
    Annotation,
    /// `spec.platform` `glibc` or `musl`.
    Config,
    /// Detected from the image (`spec.platform: auto`, or not set).
    Image,
}

/// A concrete platform (never [`Platform::Auto`]) and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlatformChoice {
    pub platform: Platform,
    pub source: PlatformSource,
}

/// The operator's reading of a non-empty platform value: exactly `glibc` or
/// `musl` (case-sensitive: `MUSL` is rejected), else
/// `provided instrumentation.opentelemetry.io/otel-python-platform annotation value '<v>' is not supported`.
///
/// `auto` is not an annotation value and is rejected here; it exists only
/// in the functionConfig, which src/config parses. The operator reads an
/// empty value as glibc; here an empty annotation means "not set" — use
/// [`platform_annotation`] for the merged annotation.
pub fn parse_platform(value: &str) -> Result<Platform, String> {
    match value {
        "glibc" => Ok(Platform::Glibc),
        "musl" => Ok(Platform::Musl),
        _ => Err(format!(
            "provided instrumentation.opentelemetry.io/otel-python-platform annotation value '{value}' is not supported"
        )),
    }
}

/// The merged `otel-python-platform` annotation: `""` → `None` (not set),
/// else [`parse_platform`].
pub fn platform_annotation(value: &str) -> Result<Option<Platform>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_platform(value).map(Some)
    }
}

/// The platform for a pod template: the merged annotation if set, else
/// `spec.platform` if `glibc` or `musl`, else detection from `image` (the
/// first target container's image; `None` or unknown → glibc).
pub fn choose_platform(
    annotation: &str,
    config: Option<Platform>,
    image: Option<&str>,
) -> Result<PlatformChoice, String> {
    if let Some(platform) = platform_annotation(annotation)? {
        return Ok(PlatformChoice {
            platform,
            source: PlatformSource::Annotation,
        });
    }
    Ok(match config {
        Some(platform @ (Platform::Glibc | Platform::Musl)) => PlatformChoice {
            platform,
            source: PlatformSource::Config,
        },
        Some(Platform::Auto) | None => PlatformChoice {
            platform: if image.is_some_and(is_musl_image) {
                Platform::Musl
            } else {
                Platform::Glibc
            },
            source: PlatformSource::Image,
        },
    })
}

/// Whether an image reference names a musl (Alpine-based) image.
///
/// Only the last path component is read, so a registry port
/// (`registry:5000/python`) is never taken for a tag, and a digest
/// (`@sha256:…`) is ignored. musl when, case-insensitively:
/// - the tag contains `alpine` (`python:3.12-alpine`,
///   `python:3.11-alpine3.20`, `alpine:3.20`) or `musl`; or
/// - the image name is `alpine` or has `alpine` as a `-`/`_`/`.`-separated
///   word (`alpine`, `alpine-python`, `python-alpine`).
///
/// Everything else (Debian-based `python:3.12`, `-slim`, `-bookworm`,
/// distroless, Wolfi/Chainguard, a reference with only a digest) is glibc.
pub fn is_musl_image(image: &str) -> bool {
    let image = image.trim();
    let reference = image.split_once('@').map_or(image, |(r, _)| r);
    let last = reference.rsplit_once('/').map_or(reference, |(_, l)| l);
    let (name, tag) = last.split_once(':').unwrap_or((last, ""));
    let name = name.to_ascii_lowercase();
    let tag = tag.to_ascii_lowercase();
    tag.contains("alpine")
        || tag.contains("musl")
        || name.split(['-', '_', '.']).any(|w| w == "alpine")
}
