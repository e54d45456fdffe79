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

/// Job tags of interactive processes, which serve apps and APIs (docs/metrics.md
/// section 5): the jobs whose resource samples `fetch` asks for, and the interactive class
/// of the model.
pub const INTERACTIVE_TAGS: [&str; 13] = [
    "run_app",
    "run_api",
    "run_tensorflow",
    "run_python_api",
    "run_dash_app",
    "run_streamlit",
    "run_bokeh_app",
    "run_panel_app",
    "run_fastapi_app",
    "run_gradio_app",
    "run_pyshiny_app",
    "render_shiny",
    "run_voila_app",
];

/// True for an interactive job tag (blanks and letter case ignored).
pub fn is_interactive_tag(tag: &str) -> bool {
    let tag = tag.trim();
    INTERACTIVE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag))
}

/// True unless the mode is static or rendered; a missing or unknown mode counts as an
/// application, so it is sized rather than ignored.
pub fn holds_processes(app_mode: Option<&str>) -> bool {
    !app_mode.is_some_and(|m| STATIC_MODES.contains(&m))
}

/// True for the API modes (`api`, `python-api`, `python-fastapi`, `tensorflow-saved-model`).
pub fn is_api(app_mode: Option<&str>) -> bool {
    app_mode.is_some_and(|m| API_MODES.contains(&m))
}
