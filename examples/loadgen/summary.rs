//! The comparison table: the JSON lines of many runs, grouped by scenario
//! and server, as medians with their spread (min–max), the ratios of wshub
//! to every other server, and the project's targets checked against them.
//!
//! Servers are told apart by the `server` label (`wshub` is the one the
//! ratios and targets are about); the targets name the scenarios of
//! `examples/bench/compare.sh` (S2, S3, S4, S5-5000, C10k).

use serde_json::Value;

/// Which figures a scenario shows, chosen from what it loads.
fn metrics(run: &Value) -> &'static [Metric] {
    if run["publishers"].as_u64() == Some(0) {
        &[
            RSS_PER_CONN,
            MACHINE_PER_CONN,
            THREADS,
            HANDSHAKES,
            CONNECT_ERRORS,
        ]
    } else if run["rate"].as_f64().unwrap_or(0.0) > 0.0 {
        &[P50, P99, MAX, DELIVERIES, CPU, LOST, CONNECT_ERRORS, OTHER]
    } else {
        &[DELIVERIES, CPU, P50, P99, LOST, OTHER]
    }
}

/// A figure of the JSON line, how to show it, and its unit.
#[derive(Debug, Clone, Copy)]
struct Metric {
    key: &'static str,
    name: &'static str,
    scale: f64,
    decimals: usize,
    /// Whether more is better (deliveries) or worse (latency, memory).
    more_is_better: bool,
}

const DELIVERIES: Metric = Metric {
    key: "deliveries_per_s",
    name: "deliveries/s",
    scale: 1.0,
    decimals: 0,
    more_is_better: true,
};
const CPU: Metric = Metric {
    key: "server_cpu_ns_per_delivery",
    name: "server CPU ns/delivery",
    scale: 1.0,
    decimals: 0,
    more_is_better: false,
};
const P50: Metric = Metric {
    key: "p50_us",
    name: "latency p50 ms",
    scale: 1e-3,
    decimals: 2,
    more_is_better: false,
};
const P99: Metric = Metric {
    key: "p99_us",
    name: "latency p99 ms",
    scale: 1e-3,
    decimals: 2,
    more_is_better: false,
};
const MAX: Metric = Metric {
    key: "max_us",
    name: "latency max ms",
    scale: 1e-3,
    decimals: 2,
    more_is_better: false,
};
const LOST: Metric = Metric {
    key: "lost",
    name: "lost messages",
    scale: 1.0,
    decimals: 0,
    more_is_better: false,
};
const CONNECT_ERRORS: Metric = Metric {
    key: "connect_errors",
    name: "connect errors",
    scale: 1.0,
    decimals: 0,
    more_is_better: false,
};
const RSS_PER_CONN: Metric = Metric {
    key: "idle_rss_per_conn_kib",
    name: "RSS KiB/connection",
    scale: 1.0,
    decimals: 1,
    more_is_better: false,
};
/// The drop of the machine's MemAvailable per connection: the server, the
/// kernel and the load generator together (compare with `raw`, whose own
/// share is little more than the load generator's and two sockets).
const MACHINE_PER_CONN: Metric = Metric {
    key: "machine_per_conn_kib",
    name: "machine KiB/connection",
    scale: 1.0,
    decimals: 1,
    more_is_better: false,
};
const THREADS: Metric = Metric {
    key: "server_threads",
    name: "threads",
    scale: 1.0,
    decimals: 0,
    more_is_better: false,
};
const OTHER: Metric = Metric {
    key: "other_cpu_pct",
    name: "other work, % of a core",
    scale: 1.0,
    decimals: 0,
    more_is_better: false,
};
const HANDSHAKES: Metric = Metric {
    key: "handshakes_per_s",
    name: "handshakes/s",
    scale: 1.0,
    decimals: 0,
    more_is_better: true,
};

/// The runs of one scenario on one server.
struct Cell<'a> {
    server: String,
    runs: Vec<&'a Value>,
}

impl Cell<'_> {
    /// Median, min and max of `key` over the runs that have it.
    fn stats(&self, key: &str) -> Option<(f64, f64, f64)> {
        spread(self.runs.iter().filter_map(|r| r[key].as_f64()).collect())
    }

    fn median(&self, key: &str) -> Option<f64> {
        self.stats(key).map(|(median, _, _)| median)
    }
}

/// Median, min and max.
fn spread(mut values: Vec<f64>) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((median, values[0], values[n - 1]))
}

/// How many times better wshub did than `other` on `metric`, repetition by
/// repetition (the n-th runs of both servers are one repetition, run back
/// to back): median, min and max of those ratios. Pairing runs that were
/// close in time cancels most of the machine's drift between repetitions.
fn paired_ratio(wshub: &Cell, other: &Cell, metric: &Metric) -> Option<(f64, f64, f64)> {
    let ratios = wshub
        .runs
        .iter()
        .zip(&other.runs)
        .filter_map(|(w, o)| w[metric.key].as_f64().zip(o[metric.key].as_f64()))
        .filter(|(w, o)| *w != 0.0 && *o != 0.0)
        .map(|(w, o)| if metric.more_is_better { w / o } else { o / w })
        .collect();
    spread(ratios)
}

/// Scenarios in the order first seen, each with its servers (wshub first).
fn group(runs: &[Value]) -> Vec<(String, Vec<Cell<'_>>)> {
    let mut scenarios: Vec<(String, Vec<Cell>)> = Vec::new();
    for run in runs {
        let scenario = run["scenario"].as_str().unwrap_or("?").to_string();
        let server = run["server"].as_str().unwrap_or("?").to_string();
        let at = match scenarios.iter().position(|(s, _)| *s == scenario) {
            Some(at) => at,
            None => {
                scenarios.push((scenario, Vec::new()));
                scenarios.len() - 1
            }
        };
        let cells = &mut scenarios[at].1;
        match cells.iter_mut().find(|c| c.server == server) {
            Some(cell) => cell.runs.push(run),
            None => cells.push(Cell {
                server,
                runs: vec![run],
            }),
        }
    }
    for (_, cells) in &mut scenarios {
        cells.sort_by_key(|c| c.server != "wshub");
    }
    scenarios
}

/// The table and the targets, as Markdown.
pub fn render(text: &str) -> String {
    let runs: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let scenarios = group(&runs);
    let mut servers: Vec<String> = Vec::new();
    for (_, cells) in &scenarios {
        for cell in cells {
            if !servers.contains(&cell.server) {
                servers.push(cell.server.clone());
            }
        }
    }
    let others: Vec<&String> = servers.iter().filter(|s| *s != "wshub").collect();

    let mut header = vec!["scenario".to_string(), "metric".to_string()];
    header.extend(servers.iter().cloned());
    header.extend(others.iter().map(|o| format!("wshub vs {o}")));
    let mut rows = vec![header];
    for (scenario, cells) in &scenarios {
        let Some(first) = cells.first().and_then(|c| c.runs.first()) else {
            continue;
        };
        for (i, metric) in metrics(first).iter().enumerate() {
            let mut row = vec![
                if i == 0 {
                    describe(scenario, first)
                } else {
                    String::new()
                },
                metric.name.to_string(),
            ];
            let cell_of = |server: &str| cells.iter().find(|c| c.server == server);
            for server in &servers {
                row.push(match cell_of(server).and_then(|c| c.stats(metric.key)) {
                    Some(stats) => show(metric, stats),
                    None => "-".to_string(),
                });
            }
            for other in &others {
                let ratio = cell_of("wshub")
                    .zip(cell_of(other))
                    .and_then(|(w, o)| paired_ratio(w, o, metric));
                row.push(match ratio {
                    Some((median, min, max))
                        if !["lost", "connect_errors", "other_cpu_pct"].contains(&metric.key) =>
                    {
                        let (median, min, max) = (times(median), times(min), times(max));
                        if min == max {
                            median
                        } else {
                            format!("{median} ({min}–{max})")
                        }
                    }
                    _ => "-".to_string(),
                });
            }
            rows.push(row);
        }
    }
    let counts: Vec<String> = scenarios
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|c| c.runs.len()))
        .map(|n| n.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = markdown(&rows);
    out.push_str(&format!(
        "\nMedians of {} runs per cell, (min–max) when they differ. \"wshub vs X\": how many times better wshub did than X, repetition by repetition (the servers of one repetition run back to back): wshub ÷ X for deliveries and handshakes, X ÷ wshub for latency, CPU, memory and threads, so above 1 means wshub is better; the median of those ratios, (min–max).\n\n",
        counts.join(" or ")
    ));
    out.push_str(&targets(&scenarios));
    out
}

/// "S2: 1,000 sub × 1 pub, 64 B, max rate".
fn describe(scenario: &str, run: &Value) -> String {
    let n = |key: &str| {
        run[key]
            .as_i64()
            .map(crate::report::group)
            .unwrap_or_default()
    };
    let rate = run["rate"].as_f64().unwrap_or(0.0);
    let load = if run["publishers"].as_u64() == Some(0) {
        "idle".to_string()
    } else if rate > 0.0 {
        format!("{} pub at {rate} msg/s, {} B", n("publishers"), n("size"))
    } else {
        format!("{} pub, {} B, max rate", n("publishers"), n("size"))
    };
    format!("{scenario}: {} sub, {load}", n("subscribers"))
}

fn show(metric: &Metric, (median, min, max): (f64, f64, f64)) -> String {
    let fmt = |v: f64| {
        let v = v * metric.scale;
        if metric.decimals == 0 {
            crate::report::group(v.round() as i64)
        } else {
            format!("{v:.*}", metric.decimals)
        }
    };
    if fmt(min) == fmt(max) {
        fmt(median)
    } else {
        format!("{} ({}–{})", fmt(median), fmt(min), fmt(max))
    }
}

fn markdown(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| {
        rows.iter()
            .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..columns).map(width).collect();
    let line = |row: &[String]| {
        let cells: Vec<String> = (0..columns)
            .map(|c| {
                let s = row.get(c).map_or("", String::as_str);
                format!("{s}{}", " ".repeat(widths[c] - s.chars().count()))
            })
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = line(&rows[0]);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&format!("|-{}-|\n", rule.join("-|-")));
    for row in &rows[1..] {
        out.push_str(&line(row));
    }
    out
}

/// The targets, each with the measured median (for ratios, the
/// median of the per-repetition ratios) and whether it is met.
fn targets(scenarios: &[(String, Vec<Cell<'_>>)]) -> String {
    let median = |scenario: &str, server: &str, key: &str| {
        scenarios
            .iter()
            .find(|(s, _)| s == scenario)
            .and_then(|(_, cells)| cells.iter().find(|c| c.server == server))
            .and_then(|c| c.median(key))
    };
    let cell = |scenario: &str, server: &str| {
        scenarios
            .iter()
            .find(|(s, _)| s == scenario)
            .and_then(|(_, cells)| cells.iter().find(|c| c.server == server))
    };
    let ratio = |scenario: &str, other: &str| {
        cell(scenario, "wshub")
            .zip(cell(scenario, other))
            .and_then(|(w, o)| paired_ratio(w, o, &DELIVERIES))
            .map(|(median, _, _)| median)
    };
    let wshub_runs: Vec<&Value> = scenarios
        .iter()
        .flat_map(|(_, cells)| cells.iter().filter(|c| c.server == "wshub"))
        .flat_map(|c| c.runs.iter().copied())
        .collect();
    let lost: Option<f64> = (!wshub_runs.is_empty())
        .then(|| wshub_runs.iter().filter_map(|r| r["lost"].as_f64()).sum());
    let c10k_ok = median("C10k", "wshub", "connected").map(|connected| {
        let errors = median("C10k", "wshub", "connect_errors").unwrap_or(f64::NAN);
        let lost = median("C10k", "wshub", "lost").unwrap_or(f64::NAN);
        if connected >= 10_000.0 && errors == 0.0 && lost == 0.0 {
            1.0
        } else {
            0.0
        }
    });
    type Check<'a> = (&'a str, Option<f64>, fn(f64) -> bool, &'a str);
    let checks: [Check; 9] = [
        (
            "S2 deliveries/s ≥ 40× Node ws",
            ratio("S2", "node"),
            |v| v >= 40.0,
            "×",
        ),
        (
            "S2 deliveries/s within 15 % of raw TCP",
            ratio("S2", "raw"),
            |v| v >= 0.85,
            "×",
        ),
        (
            "S2 server CPU ≤ 150 ns/delivery",
            median("S2", "wshub", "server_cpu_ns_per_delivery"),
            |v| v <= 150.0,
            " ns",
        ),
        (
            "S3 latency p50 ≤ 6 ms",
            median("S3", "wshub", "p50_us").map(|v| v / 1e3),
            |v| v <= 6.0,
            " ms",
        ),
        (
            "S3 latency p99 ≤ 20 ms",
            median("S3", "wshub", "p99_us").map(|v| v / 1e3),
            |v| v <= 20.0,
            " ms",
        ),
        (
            "S4 latency p99 ≤ 6 ms",
            median("S4", "wshub", "p99_us").map(|v| v / 1e3),
            |v| v <= 6.0,
            " ms",
        ),
        (
            "no message lost (all wshub runs)",
            lost,
            |v| v == 0.0,
            " lost",
        ),
        (
            "≤ 30 KiB RSS per idle connection at 5,000",
            median("S5-5000", "wshub", "idle_rss_per_conn_kib"),
            |v| v <= 30.0,
            " KiB",
        ),
        (
            "10,000 clients connect and each receives, no error",
            c10k_ok,
            |v| v == 1.0,
            "",
        ),
    ];
    let mut rows = vec![vec![
        "target".to_string(),
        "wshub".to_string(),
        "met".to_string(),
    ]];
    for (name, value, ok, unit) in checks {
        let shown = match value {
            None => "not run".to_string(),
            Some(v) if unit.is_empty() => if v == 1.0 { "yes" } else { "no" }.to_string(),
            Some(v) if unit == "×" => times(v),
            Some(v) => format!("{}{unit}", trim(v)),
        };
        let met = match value {
            None => "-",
            Some(v) if ok(v) => "yes",
            Some(_) => "NO",
        };
        rows.push(vec![name.to_string(), shown, met.to_string()]);
    }
    markdown(&rows)
}

/// A ratio with three significant digits: 0.847×, 151×.
fn times(r: f64) -> String {
    match r {
        r if r >= 100.0 => format!("{r:.0}×"),
        r if r >= 10.0 => format!("{r:.1}×"),
        r => format!("{r:.3}×").replace(".000×", "×"),
    }
}

fn trim(v: f64) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        crate::report::group(v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}
