//! The sample's fixed world: content items (with their scheduler settings), users, and
//! the Zipf popularity tables sessions are drawn from. Small (tens to hundreds of rows),
//! built once per run from its own RNG stream so every file sees the same GUIDs.

use super::fmt::{guid, Secs};
use super::SampleSpec;
use rand::seq::SliceRandom;
use rand::Rng;

/// The language runtime a content item is deployed with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Runtime {
    R,
    Python,
    None,
}

/// When a rendered item is rebuilt by its schedule (times in America/New_York).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Schedule {
    None,
    /// Every day at 06:00.
    Daily,
    /// Mondays at 07:00.
    Weekly,
}

/// Scheduler and resource settings as `get_content()` exports them (`None` = NA, inherit).
#[derive(Clone, Copy, Default, Debug)]
pub struct Settings {
    pub max_processes: Option<u32>,
    pub min_processes: Option<u32>,
    pub max_conns_per_process: Option<u32>,
    pub load_factor: Option<f64>,
    pub idle_timeout: Option<u32>,
    pub memory_request: Option<u64>,
    pub memory_limit: Option<u64>,
    pub cpu_request: Option<f64>,
    pub cpu_limit: Option<f64>,
}

struct Template {
    name: &'static str,
    title: &'static str,
    mode: &'static str,
    category: &'static str,
    settings: Settings,
    schedule: Schedule,
}

/// One content item of content.csv.
#[derive(Clone, Debug)]
pub struct Content {
    pub guid: String,
    pub id: u64,
    pub name: String,
    pub title: String,
    pub mode: &'static str,
    pub category: &'static str,
    pub settings: Settings,
    pub schedule: Schedule,
    pub owner: usize,
    pub created: Secs,
    /// Deploys inside the window, ascending.
    pub deploys: Vec<Secs>,
    pub last_deployed: Secs,
    pub bundle_base: u64,
    pub r_version: Option<&'static str>,
    pub py_version: Option<&'static str>,
}

/// One user of users.csv.
#[derive(Clone, Debug)]
pub struct User {
    pub guid: String,
    pub username: String,
    pub first: &'static str,
    pub last: &'static str,
    pub role: &'static str,
    pub created: Secs,
    pub updated: Secs,
    pub locked: bool,
}

/// A cumulative distribution over ranks 0..n, sampled by binary search.
#[derive(Clone, Debug)]
pub struct Cdf(Vec<f64>);

impl Cdf {
    /// Zipf weights `1 / (rank + 1)^s`.
    pub fn zipf(n: usize, s: f64) -> Cdf {
        let mut acc = 0.0;
        let cum = (0..n)
            .map(|k| {
                acc += 1.0 / ((k + 1) as f64).powf(s);
                acc
            })
            .collect();
        Cdf(cum)
    }

    /// A rank drawn with the table's weights.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let u = rng.gen::<f64>() * total;
        self.0.partition_point(|&c| c <= u).min(self.0.len() - 1)
    }
}

/// Contents, users and popularity tables for one spec.
#[derive(Clone, Debug)]
pub struct Catalog {
    pub contents: Vec<Content>,
    pub users: Vec<User>,
    /// GUID of an item deleted before the export: sessions reference it, content.csv does not.
    pub deleted_guid: String,
    pub window_start: Secs,
    pub window_end: Secs,
    /// Shiny-like contents (written to shiny_usage.csv), most popular first.
    pub session_contents: Vec<usize>,
    pub content_rank: Cdf,
    /// Users who open sessions (unlocked, not the service account), most active first.
    pub user_pool: Vec<usize>,
    pub user_rank: Cdf,
    /// Index of `svc-health-check`.
    pub svc: usize,
    /// The app the health check polls.
    pub health_target: usize,
}

/// The username of the monitoring account that opens a short session every hour.
pub const SVC_USERNAME: &str = "svc-health-check";

/// App modes whose sessions Connect records in `/instrumentation/shiny/usage`.
pub fn is_session_mode(mode: &str) -> bool {
    matches!(
        mode,
        "shiny"
            | "python-shiny"
            | "python-dash"
            | "python-streamlit"
            | "rmd-shiny"
            | "jupyter-voila"
    )
}

/// App modes that serve requests (visits.csv rows and `run_*api*` jobs).
pub fn is_api_mode(mode: &str) -> bool {
    matches!(mode, "api" | "python-api" | "python-fastapi")
}

/// Runtime of an app mode.
pub fn runtime(mode: &str) -> Runtime {
    match mode {
        "shiny" | "rmd-shiny" | "api" | "rmd-static" | "quarto-static" => Runtime::R,
        "static" => Runtime::None,
        _ => Runtime::Python,
    }
}

/// Settings that all inherit the server defaults (every field NA).
const INHERIT: Settings = Settings {
    max_processes: None,
    min_processes: None,
    max_conns_per_process: None,
    load_factor: None,
    idle_timeout: None,
    memory_request: None,
    memory_limit: None,
    cpu_request: None,
    cpu_limit: None,
};

/// A template with inherited settings, no category and no schedule.
const fn t(name: &'static str, title: &'static str, mode: &'static str) -> Template {
    Template {
        name,
        title,
        mode,
        category: "",
        settings: INHERIT,
        schedule: Schedule::None,
    }
}

impl Template {
    /// With its own scheduler or resource settings.
    const fn with(mut self, settings: Settings) -> Template {
        self.settings = settings;
        self
    }

    /// Rebuilt on a schedule.
    const fn scheduled(mut self, schedule: Schedule) -> Template {
        self.schedule = schedule;
        self
    }

    /// In a content category (`site`, `pin`).
    const fn category(mut self, category: &'static str) -> Template {
        self.category = category;
        self
    }
}

/// The 30 content templates, interactive ones in popularity order.
const TEMPLATES: [Template; 30] = [
    t("sales-dashboard", "Sales Dashboard", "shiny").with(Settings {
        max_processes: Some(2),
        max_conns_per_process: Some(5),
        ..INHERIT
    }),
    t(
        "clinical-trial-explorer",
        "Clinical Trial Explorer",
        "shiny",
    )
    .with(Settings {
        min_processes: Some(2),
        ..INHERIT
    }),
    t(
        "supply-chain-monitor",
        "Supply Chain Monitor",
        "python-shiny",
    ),
    t("marketing-funnel", "Marketing Funnel", "python-dash").with(Settings {
        load_factor: Some(0.2),
        ..INHERIT
    }),
    t("hr-headcount-planner", "HR Headcount Planner", "shiny"),
    t("forecast-studio", "Forecast Studio", "python-streamlit"),
    t("q3-board-pack", r#"Q3 "Board" Pack, final"#, "rmd-shiny"),
    t(
        "customer-churn-explorer",
        "Customer Churn Explorer",
        "shiny",
    ),
    t("inventory-tracker", "Inventory Tracker", "shiny"),
    t("xss-demo", "Test app <script>alert(1)</script>", "shiny"),
    t("web-analytics", "Web Analytics", "python-dash"),
    // Kept warm for the hourly health check.
    t("ops-status-board", "Ops Status Board", "shiny").with(Settings {
        min_processes: Some(1),
        ..INHERIT
    }),
    t("pricing-simulator", "Pricing Simulator", "shiny"),
    t("lab-results-viewer", "Lab Results Viewer", "python-shiny"),
    t("credit-risk-heatmap", "Credit Risk Heatmap", "shiny").with(Settings {
        memory_request: Some(1 << 30),
        memory_limit: Some(4 << 30),
        cpu_limit: Some(2.0),
        ..INHERIT
    }),
    t(
        "model-explorer-voila",
        "Model Explorer (Voila)",
        "jupyter-voila",
    ),
    t("fleet-map", "Fleet Map", "shiny"),
    t(
        "employee-survey-results",
        "Employee Survey Results",
        "python-shiny",
    ),
    t("budget-variance", "Budget Variance", "shiny"),
    t("energy-usage", "Energy Usage", "shiny"),
    t("flask-scoring-api", "Scoring API", "python-api").with(Settings {
        max_processes: Some(6),
        min_processes: Some(1),
        max_conns_per_process: Some(50),
        load_factor: Some(0.8),
        idle_timeout: Some(120),
        memory_limit: Some(2_147_483_648),
        ..INHERIT
    }),
    t("forecast-api", "Forecast API", "api").with(Settings {
        idle_timeout: Some(300),
        ..INHERIT
    }),
    t(
        "document-search-api",
        "Document Search API",
        "python-fastapi",
    )
    .with(Settings {
        idle_timeout: Some(600),
        ..INHERIT
    }),
    t("weekly-kpi-report", "Weekly KPI Report", "rmd-static").scheduled(Schedule::Daily),
    t(
        "data-quality-report",
        "Data Quality Report",
        "quarto-static",
    )
    .scheduled(Schedule::Daily),
    t("team-handbook", "Team Handbook", "quarto-static").category("site"),
    t(
        "monthly-finance-review",
        "Monthly Finance Review",
        "rmd-static",
    )
    .scheduled(Schedule::Weekly),
    t("brand-assets", "Brand Assets", "static"),
    t("customer-segments-pin", "Customer Segments", "static").category("pin"),
    t(
        "exploratory-analysis",
        "Exploratory Analysis Notebook",
        "jupyter-static",
    ),
];

const FIRST: [&str; 24] = [
    "Alice", "Bob", "Carlos", "Dana", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Yusuf",
];
const LAST: [&str; 20] = [
    "Nguyen", "Smith", "Garcia", "Müller", "Okafor", "Tanaka", "Rossi", "Kowalski", "Silva",
    "Johnson", "Dubois", "Kim", "Larsen", "Patel", "Cohen", "Moreau", "O'Brien", "Haddad",
    "Fischer", "Lopez",
];

fn pick<R: Rng, T: Copy>(rng: &mut R, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// A time on a random day of `[from, to)`, between 13:00 and 21:00 UTC (NY office hours).
fn office_time<R: Rng>(rng: &mut R, from: Secs, to: Secs) -> Secs {
    let days = ((to - from) / 86_400).max(1);
    let day = from.div_euclid(86_400) + rng.gen_range(0..days);
    day * 86_400 + rng.gen_range(13 * 3600..21 * 3600)
}

fn build_content<R: Rng>(
    rng: &mut R,
    i: usize,
    tpl: &Template,
    cat: &Catalog,
    publishers: &[usize],
) -> Content {
    let lap = i / 30;
    let (name, title) = match lap {
        0 => (tpl.name.to_string(), tpl.title.to_string()),
        _ => (
            format!("{}-{}", tpl.name, lap + 1),
            format!("{} ({})", tpl.title, lap + 1),
        ),
    };
    let created = cat.window_start - rng.gen_range(30..900) * 86_400 - rng.gen_range(0..86_400);
    let n_deploys = pick(rng, &[0usize, 0, 1, 1, 2]);
    let mut deploys: Vec<Secs> = (0..n_deploys)
        .map(|_| office_time(rng, cat.window_start, cat.window_end))
        .collect();
    deploys.sort_unstable();
    let before = created + rng.gen_range(0..(cat.window_start - created).max(1));
    let rt = runtime(tpl.mode);
    Content {
        guid: guid(rng),
        id: 48_000 + (i as u64) * 37 + rng.gen_range(0..30),
        name,
        title,
        mode: tpl.mode,
        category: tpl.category,
        settings: tpl.settings,
        schedule: tpl.schedule,
        owner: pick(rng, publishers),
        created,
        last_deployed: deploys.last().copied().unwrap_or(before),
        deploys,
        bundle_base: 90_000 + (i as u64) * 411 + rng.gen_range(0..400),
        r_version: (rt == Runtime::R).then(|| pick(rng, &["4.3.2", "4.4.1", "4.2.3", "4.4.1"])),
        py_version: (rt == Runtime::Python).then(|| pick(rng, &["3.11.9", "3.12.4", "3.10.14"])),
    }
}

fn role_of(i: usize, n: usize) -> &'static str {
    let admins = (n * 4).div_ceil(120).max(1);
    let publishers = (n * 18).div_ceil(120).max(1);
    if i < admins {
        "administrator"
    } else if i < admins + publishers {
        "publisher"
    } else {
        "viewer"
    }
}

fn build_user<R: Rng>(rng: &mut R, i: usize, n: usize, start: Secs) -> User {
    let first = FIRST[(i * 7 + 3) % FIRST.len()];
    let last = LAST[(i * 11 + i / FIRST.len()) % LAST.len()];
    let created = start - rng.gen_range(60..2000) * 86_400 - rng.gen_range(0..86_400);
    let svc = i + 1 == n;
    let username = match svc {
        true => SVC_USERNAME.to_string(),
        false => format!("{}{}{}", &first[..1], last, i)
            .to_lowercase()
            .replace('\'', ""),
    };
    User {
        guid: guid(rng),
        username,
        first: if svc { "Health" } else { first },
        last: if svc { "Check" } else { last },
        role: if svc { "viewer" } else { role_of(i, n) },
        created,
        updated: created + rng.gen_range(0..(start - created)),
        locked: false,
    }
}

impl Catalog {
    /// Builds the catalog for `spec` (at least 1 content item and 3 users).
    pub fn new<R: Rng>(spec: &SampleSpec, rng: &mut R) -> Catalog {
        let window_start = spec
            .start
            .and_hms_opt(0, 0, 0)
            .map_or(0, |d| d.and_utc().timestamp());
        let n_users = (spec.users as usize).max(3);
        let mut cat = Catalog {
            contents: Vec::new(),
            users: (0..n_users)
                .map(|i| build_user(rng, i, n_users, window_start))
                .collect(),
            deleted_guid: guid(rng),
            window_start,
            window_end: window_start + i64::from(spec.days.max(1)) * 86_400,
            session_contents: Vec::new(),
            content_rank: Cdf::zipf(1, 1.0),
            user_pool: Vec::new(),
            user_rank: Cdf::zipf(1, 1.0),
            svc: n_users - 1,
            health_target: 0,
        };
        cat.lock_some_viewers(rng);
        cat.add_contents(rng, (spec.contents as usize).max(1));
        cat.rank_users(rng, spec.user_skew);
        cat
    }

    fn lock_some_viewers<R: Rng>(&mut self, rng: &mut R) {
        let viewers: Vec<usize> = (0..self.svc)
            .filter(|&i| self.users[i].role == "viewer")
            .collect();
        for &i in viewers.choose_multiple(rng, (viewers.len() / 30).max(1)) {
            self.users[i].locked = true;
            self.users[i].updated = self.window_start - rng.gen_range(3600..60 * 86_400);
        }
    }

    fn add_contents<R: Rng>(&mut self, rng: &mut R, n: usize) {
        let tpls = &TEMPLATES;
        let publishers: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].role == "publisher")
            .collect();
        for i in 0..n {
            let content = build_content(rng, i, &tpls[i % tpls.len()], self, &publishers);
            self.contents.push(content);
        }
        self.session_contents = (0..n)
            .filter(|&i| is_session_mode(self.contents[i].mode))
            .collect();
        self.content_rank = Cdf::zipf(self.session_contents.len(), 1.1);
        let ops = self
            .contents
            .iter()
            .position(|c| c.name == "ops-status-board");
        self.health_target = ops.unwrap_or(self.session_contents[0]);
    }

    fn rank_users<R: Rng>(&mut self, rng: &mut R, skew: f64) {
        let mut pool: Vec<usize> = (0..self.svc).filter(|&i| !self.users[i].locked).collect();
        pool.shuffle(rng);
        self.user_rank = Cdf::zipf(pool.len(), skew);
        self.user_pool = pool;
    }

    /// The content GUID a session references (`contents.len()` = the deleted item).
    pub fn session_guid(&self, content: usize) -> &str {
        self.contents
            .get(content)
            .map_or(&self.deleted_guid, |c| &c.guid)
    }
}

impl Content {
    /// The bundle serving at `t`: one new bundle per deploy inside the window.
    pub fn bundle_at(&self, t: Secs) -> u64 {
        self.bundle_base + self.deploys.iter().filter(|&&d| d <= t).count() as u64
    }
}
