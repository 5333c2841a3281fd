//! A figure's trend as an inline SVG bar chart, drawn on the server: one bar per period
//! with its value written above it and the period below, the target as a dashed line. Plain
//! SVG text in the page's own font (it inherits the page's CJK font stack), so Chinese
//! labels read as the page does; no script, no build.

use tripdesk_domain::quality::{Target, Unit};

/// One bar: its label under it, its value (in the figure's unit) and whether it met the
/// target (`None`: not judged).
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub met: Option<bool>,
}

const W: f64 = 300.0;
const H: f64 = 132.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 20.0;
const LEFT: f64 = 4.0;

/// Escapes text for SVG (labels are ours, but a period label must never break the markup).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A value as the chart writes it: a share as a percentage with one decimal, per 100 with
/// two, a count whole.
pub fn format_value(unit: Unit, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => "—".into(),
        (Unit::Share, Some(v)) => format!("{:.1}%", v * 100.0),
        (Unit::Per100, Some(v)) => format!("{v:.2}"),
        (Unit::Count, Some(v)) => format!("{v:.0}"),
    }
}

/// The value axis: from `lo` to `hi`. Shares near the top are drawn from a floor below the
/// lowest value or target (so 94 % and 99 % do not look alike); other units from zero.
fn axis(unit: Unit, values: &[f64], line: Option<f64>) -> (f64, f64) {
    let all = values.iter().copied().chain(line);
    match unit {
        Unit::Share => {
            let min = all.fold(1.0_f64, f64::min);
            let lo = ((min - 0.05) * 10.0).floor() / 10.0;
            (lo.clamp(0.0, 0.9), 1.0)
        }
        _ => {
            let max = all.fold(0.0_f64, f64::max);
            (0.0, if max <= 0.0 { 1.0 } else { max * 1.2 })
        }
    }
}

/// The chart of `bars` against `target` (`threshold`: the asked period's value to reach).
/// `label` is the accessible name (the figure's name and value).
pub fn trend_svg(
    bars: &[Bar],
    unit: Unit,
    target: Target,
    threshold: Option<f64>,
    label: &str,
) -> String {
    let values: Vec<f64> = bars.iter().filter_map(|b| b.value).collect();
    let floor_line = match target {
        Target::AtLeast { .. } => threshold,
        Target::Change { .. } => None,
    };
    let (lo, hi) = axis(unit, &values, threshold);
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let n = bars.len().max(1) as f64;
    let slot = (W - LEFT * 2.0) / n;
    let bw = (slot * 0.62).min(34.0);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" \
         aria-label=\"{}\" font-family=\"inherit\" font-size=\"10\">",
        esc(label)
    );
    s.push_str(&format!(
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{b}\" x2=\"{x2}\" y2=\"{b}\"/>",
        b = H - BOTTOM,
        x2 = W - LEFT
    ));
    for (i, bar) in bars.iter().enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        let last = i + 1 == bars.len();
        if let Some(v) = bar.value {
            let top = y(v);
            let class = match bar.met {
                Some(true) => "bar met",
                Some(false) => "bar missed",
                None => "bar",
            };
            s.push_str(&format!(
                "<rect class=\"{class}{}\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" \
                 height=\"{:.1}\" rx=\"2\"/>",
                if last { " current" } else { "" },
                cx - bw / 2.0,
                (H - BOTTOM - top).max(0.5),
            ));
        }
        s.push_str(&format!(
            "<text class=\"val\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bar.value.map_or(H - BOTTOM - 3.0, |v| y(v) - 3.0),
            esc(&format_value(unit, bar.value)),
        ));
        s.push_str(&format!(
            "<text class=\"lbl\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - 6.0,
            esc(&bar.label),
        ));
    }
    // The target: a floor across the chart, or the asked period's threshold over its bar.
    let dashed = |x1: f64, x2: f64, v: f64| {
        format!(
            "<line class=\"target\" x1=\"{x1:.1}\" y1=\"{yy:.1}\" x2=\"{x2:.1}\" y2=\"{yy:.1}\" \
             stroke-dasharray=\"4 3\"/>",
            yy = y(v)
        )
    };
    if let Some(v) = floor_line {
        s.push_str(&dashed(LEFT, W - LEFT, v));
    } else if let (Some(v), false) = (threshold, bars.is_empty()) {
        let cx = LEFT + slot * (n - 0.5);
        s.push_str(&dashed(cx - slot / 2.0 + 2.0, cx + slot / 2.0 - 2.0, v));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_values_labels_and_target_line_are_drawn() {
        let bars = vec![
            Bar {
                label: "2026-01".into(),
                value: Some(0.97),
                met: Some(true),
            },
            Bar {
                label: "2026-02".into(),
                value: None,
                met: None,
            },
            Bar {
                label: "<x>".into(),
                value: Some(0.9),
                met: Some(false),
            },
        ];
        let svg = trend_svg(
            &bars,
            Unit::Share,
            Target::AtLeast { permille: 950 },
            Some(0.95),
            "接通率 90.0%",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("97.0%") && svg.contains("90.0%") && svg.contains("—"));
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains("class=\"target\""));
        assert!(svg.contains("aria-label=\"接通率 90.0%\""));
        assert!(svg.contains("bar missed current"));
    }

    #[test]
    fn change_targets_mark_only_the_asked_period() {
        let bars = vec![
            Bar {
                label: "a".into(),
                value: Some(2.0),
                met: None,
            },
            Bar {
                label: "b".into(),
                value: Some(1.5),
                met: Some(true),
            },
        ];
        let svg = trend_svg(
            &bars,
            Unit::Per100,
            Target::Change { percent: -20 },
            Some(1.6),
            "x",
        );
        assert_eq!(svg.matches("class=\"target\"").count(), 1);
        assert!(svg.contains("1.50") && svg.contains("2.00"));
        assert_eq!(format_value(Unit::Count, Some(3.0)), "3");
    }
}
