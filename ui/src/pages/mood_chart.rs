//! Mood over the last 30 days: an inline SVG drawn here (no chart library) with a text
//! summary beside it, so the trend is readable without seeing the picture.

use chrono::{Duration, NaiveDate};
use leptos::prelude::*;
use mutua_api::MoodPoint;

use crate::app::use_ui;
use crate::components::{LoadError, Loading};
use crate::i18n::{Key, Lang, date_short, day_month, fill, mood_word, text};
use crate::ipc;

const DAYS: i64 = 30;
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 104.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

#[component]
pub fn MoodChart() -> impl IntoView {
    let ui = use_ui();
    let to = ui.today();
    let from = to - Duration::days(DAYS - 1);
    let points = LocalResource::new(move || {
        ui.version.track();
        ipc::mood_series(from, to)
    });
    view! {
        {move || match points.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(points)) if points.is_empty() => {
                view! {
                    <p class="empty" data-testid="mood-chart-empty">
                        {move || ui.t(Key::NoMoodsYet)}
                    </p>
                }
                    .into_any()
            }
            Some(Ok(points)) => view! { <Chart points from to /> }.into_any(),
        }}
    }
}

/// "Average mood 3.4 over 12 days; highest 5 (very good) on Tue 10 Feb; lowest …".
pub fn summary(points: &[MoodPoint], lang: Lang) -> String {
    let total: f64 = points.iter().map(|p| p.average * f64::from(p.count)).sum();
    let count: u32 = points.iter().map(|p| p.count).sum();
    let average = if count == 0 {
        0.0
    } else {
        total / f64::from(count)
    };
    let key = if points.len() == 1 {
        Key::MoodSummaryOneDay
    } else {
        Key::MoodSummary
    };
    let mut out = fill(
        text(key, lang),
        &[&format_decimal(average, lang), &points.len().to_string()],
    );
    let highest = points
        .iter()
        .max_by(|a, b| a.average.total_cmp(&b.average).then(b.date.cmp(&a.date)));
    let lowest = points
        .iter()
        .min_by(|a, b| a.average.total_cmp(&b.average).then(a.date.cmp(&b.date)));
    if let (Some(high), Some(low)) = (highest, lowest) {
        out.push_str("; ");
        out.push_str(&fill(
            text(Key::MoodHighest, lang),
            &[
                &mood_value(high.average, lang),
                &date_short(high.date, lang),
            ],
        ));
        if low.date != high.date {
            out.push_str("; ");
            out.push_str(&fill(
                text(Key::MoodLowest, lang),
                &[&mood_value(low.average, lang), &date_short(low.date, lang)],
            ));
        }
    }
    out.push('.');
    out
}

/// `4 (good)`, or `3.5` when a day's entries averaged between two moods.
fn mood_value(value: f64, lang: Lang) -> String {
    if (value - value.round()).abs() < 0.05 {
        let mood = value.round() as u8;
        format!("{mood} ({})", mood_word(mood, lang).to_lowercase())
    } else {
        format_decimal(value, lang)
    }
}

fn format_decimal(value: f64, lang: Lang) -> String {
    let text = format!("{value:.1}");
    match lang {
        Lang::En => text,
        Lang::Es => text.replace('.', ","),
    }
}

fn x_of(day: i64) -> f64 {
    LEFT + (WIDTH - LEFT - RIGHT) * day as f64 / (DAYS - 1) as f64
}

fn y_of(mood: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (5.0 - mood) / 4.0
}

#[component]
fn Chart(points: Vec<MoodPoint>, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let ui = use_ui();
    let described = points.clone();
    let text_summary = move || summary(&described, ui.lang.get());
    let label = {
        let points = points.clone();
        move || {
            format!(
                "{}: {}",
                ui.t(Key::MoodChartTitle),
                summary(&points, ui.lang.get())
            )
        }
    };
    let coords: Vec<(f64, f64, MoodPoint)> = points
        .iter()
        .map(|p| (x_of((p.date - from).num_days()), y_of(p.average), p.clone()))
        .collect();
    let line = coords
        .iter()
        .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let grid = (1..=5u8)
        .map(|mood| {
            let y = y_of(f64::from(mood));
            view! {
                <line x1=LEFT x2=WIDTH - RIGHT y1=y y2=y class="chart-grid" />
                <text x=LEFT - 10.0 y=y + 5.0 text-anchor="end" class="chart-label">
                    {move || mood_word(mood, ui.lang.get())}
                </text>
            }
        })
        .collect_view();
    // A label every week, and the last day (today), without crowding the two.
    let ticks = (0..DAYS - 5)
        .step_by(7)
        .chain(std::iter::once(DAYS - 1))
        .map(|day| {
            let date = from + Duration::days(day);
            let x = x_of(day);
            view! {
                <text x=x y=HEIGHT - 12.0 text-anchor="middle" class="chart-label">
                    {move || day_month(date, ui.lang.get())}
                </text>
            }
        })
        .collect_view();
    let dots = coords
        .into_iter()
        .map(|(x, y, point)| {
            view! { <circle cx=x cy=y r="6" class="chart-dot" data-date=point.date.to_string() /> }
        })
        .collect_view();
    let _ = to;
    view! {
        <figure class="mood-chart" data-testid="mood-chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label=label
                data-testid="mood-chart-svg"
                preserveAspectRatio="xMidYMid meet"
            >
                {grid}
                {ticks}
                <polyline points=line class="chart-line" />
                {dots}
            </svg>
            <figcaption data-testid="mood-chart-summary">{text_summary}</figcaption>
        </figure>
    }
}
