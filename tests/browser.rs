//! The HTML report of sample_data in a real browser: headless Chromium (Debian's
//! `chromium`) loads the file, its DOM must hold the section headings and the seven SVG
//! charts, and its screenshot must show something (not a blank page).
//!
//! Without Chromium these tests FAIL, naming the package to install; set
//! `CONNECT_CAPACITY_SKIP_BROWSER=1` to skip them knowingly. `CHROMIUM` names another
//! binary.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use connect_capacity::ingest::{self, IngestOptions};
use connect_capacity::model::{self, Options};
use connect_capacity::report;
use connect_capacity::report::Format;

/// How long one Chromium run may take.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The browser binary, or `None` when the tests are skipped on purpose.
fn chromium() -> Option<String> {
    let bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = Command::new(&bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(bin);
    }
    if std::env::var("CONNECT_CAPACITY_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("browser test skipped: CONNECT_CAPACITY_SKIP_BROWSER=1 and no '{bin}'");
        return None;
    }
    panic!(
        "'{bin}' not found: the browser test needs headless Chromium. Install it \
         (Debian: apt-get install -y --no-install-recommends chromium), point CHROMIUM at \
         a Chromium binary, or set CONNECT_CAPACITY_SKIP_BROWSER=1 to skip this test."
    );
}

/// Writes the sample_data HTML report into `dir` and returns its path.
fn sample_page(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = ingest::read_inputs(&[root.join("sample_data")], &IngestOptions::default())
        .expect("sample_data reads");
    let r = model::analyze(&data, &Options::default()).expect("sample_data analyses");
    let path = dir.join("report.html");
    report::write_atomically(&r, Format::Html, &path).expect("report written");
    path
}

/// Runs Chromium headless on `page` with `args`, killing it after [`TIMEOUT`].
fn run_chromium(bin: &str, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("chromium did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut stderr);
    }
    let stdout = reader.join().expect("reader thread").expect("read stdout");
    assert!(
        status.success(),
        "chromium failed ({status}): {}",
        String::from_utf8_lossy(&stderr)
    );
    Output {
        status,
        stdout,
        stderr,
    }
}

#[test]
fn chromium_renders_every_section_and_chart() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = sample_page(dir.path());
    let out = run_chromium(
        &bin,
        &dir.path().join("profile"),
        &["--dump-dom".into()],
        &page,
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "<h1>Posit Connect capacity report</h1>",
        "<h2>Summary</h2>",
        "<h2>The six questions of Posit's scaling guidance</h2>",
        "<h2>Concurrency over time</h2>",
        "<h2>When the load comes</h2>",
        "<h2>How regularly the peak occurs</h2>",
        "<h2>Content</h2>",
        "<h2>History and growth</h2>",
        "<h2>Processes</h2>",
        "<h2>Measured footprints</h2>",
        "<h2>Sizing</h2>",
        "<h2>Architecture options for this team</h2>",
        "<h2>Scheduler settings to review</h2>",
    ] {
        assert!(dom.contains(heading), "the DOM lacks {heading}");
    }
    assert_eq!(dom.matches("<svg ").count(), 7, "seven charts in the DOM");
    // The footprints section: its table row and its chart, in the browser's DOM.
    let section = dom
        .split("<section id=\"footprints\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("a footprints section");
    assert!(section.contains("<td>Supply Chain Monitor</td><td>python-shiny</td>"));
    assert!(section.contains("aria-label=\"Memory per process, by content item\""));
    assert!(
        section.contains(">\nHR Headcount Planner\n</text>"),
        "item labels are SVG text"
    );
    // Charts were parsed as SVG: their bars, lines and labels are elements.
    assert!(dom.matches("<rect ").count() > 200, "chart bars and cells");
    assert!(dom.matches("<polyline ").count() >= 6, "chart lines");
    assert!(
        dom.contains("font-weight=\"bold\">\nConcurrent sessions per day\n</text>"),
        "chart titles are SVG text"
    );
    // The hostile title of sample_data stayed text: no script element was created.
    assert!(!dom.contains("<script"), "a script element in the DOM");
    assert!(dom.contains("Test app &lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// Mean and variance of the luminance of an 8-bit RGB(A) or grey PNG, and the share of
/// pixels that are not near-white.
fn png_stats(path: &Path) -> (f64, f64, f64, u32, u32) {
    let file = std::fs::File::open(path).expect("screenshot exists");
    let mut reader = png::Decoder::new(BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "8-bit screenshot");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut n = 0f64;
    let (mut sum, mut sum2, mut inked) = (0f64, 0f64, 0f64);
    for px in pixels.chunks_exact(channels) {
        let y = if channels >= 3 {
            0.2126 * f64::from(px[0]) + 0.7152 * f64::from(px[1]) + 0.0722 * f64::from(px[2])
        } else {
            f64::from(px[0])
        };
        n += 1.0;
        sum += y;
        sum2 += y * y;
        if y < 230.0 {
            inked += 1.0;
        }
    }
    let mean = sum / n;
    (
        mean,
        sum2 / n - mean * mean,
        inked / n,
        info.width,
        info.height,
    )
}

#[test]
fn chromium_screenshot_is_not_blank() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = sample_page(dir.path());
    let shot = dir.path().join("shot.png");
    run_chromium(
        &bin,
        &dir.path().join("profile"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400".into(),
        ],
        &page,
    );
    let (mean, variance, inked, w, h) = png_stats(&shot);
    assert_eq!((w, h), (1200, 2400), "screenshot size");
    // A blank page is one flat colour (variance 0); the report is mostly white with
    // dark text, coloured cards and charts.
    assert!(variance > 200.0, "flat screenshot: variance {variance:.1}");
    assert!(mean > 180.0, "a light page: mean luminance {mean:.1}");
    assert!(inked > 0.02, "too little drawn: {:.3} of pixels", inked);
}

/// The summary cards hold their values: at common window widths no card's value is wider
/// than its card. A copy of the page gets a small script that measures every value after
/// layout and writes what overflows into the DOM, which Chromium then dumps.
#[test]
fn summary_card_values_fit_their_cards() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = sample_page(dir.path());
    let html = std::fs::read_to_string(&page).expect("page reads");
    let probe = "<script>addEventListener('load', () => {\
        const bad = [...document.querySelectorAll('.figure')].filter(f => \
          f.querySelector('.value').scrollWidth > f.querySelector('.value').clientWidth \
          || f.scrollWidth > f.clientWidth).map(f => f.textContent.trim());\
        document.body.setAttribute('data-cards', document.querySelectorAll('.figure').length);\
        document.body.setAttribute('data-overflow', JSON.stringify(bad));});</script>";
    let measured = dir.path().join("measured.html");
    std::fs::write(
        &measured,
        html.replace("</body>", &format!("{probe}</body>")),
    )
    .unwrap();
    for width in [1200, 800, 420] {
        let out = run_chromium(
            &bin,
            &dir.path().join(format!("profile-{width}")),
            &[format!("--window-size={width},900"), "--dump-dom".into()],
            &measured,
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(dom.contains("data-cards=\""), "the probe ran at {width} px");
        assert!(
            !dom.contains("data-cards=\"0\""),
            "cards found at {width} px"
        );
        assert!(
            dom.contains("data-overflow=\"[]\""),
            "a card's value overflows at {width} px: {}",
            dom.split("data-overflow=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("?")
        );
    }
}
