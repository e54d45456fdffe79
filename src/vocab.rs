//! Connect's vocabulary shared by the layers and by `fetch`: which content modes run
//! processes and which are APIs. Plain data and predicates, no dependencies, so the model
//! and the API client agree on the rule without either importing the other.

/// Modes that never hold a process: static and rendered content (docs/metrics.md section 4).
pub const STATIC_MODES: [&str; 4] = ["static", "rmd-static", "quarto-static", "jupyter-static"];

/// API modes (docs/sizing.md section 2).
pub const API_MODES: [&str; 4] = [
    "api",
    "python-api",
    "python-fastapi",
    "tensorflow-saved-model",
];

/// True unless the mode is static or rendered; a missing or unknown mode counts as an
/// application, so it is sized rather than ignored.
pub fn holds_processes(app_mode: Option<&str>) -> bool {
    !app_mode.is_some_and(|m| STATIC_MODES.contains(&m))
}

/// True for the API modes (`api`, `python-api`, `python-fastapi`, `tensorflow-saved-model`).
pub fn is_api(app_mode: Option<&str>) -> bool {
    app_mode.is_some_and(|m| API_MODES.contains(&m))
}
