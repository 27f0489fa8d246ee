use std::collections::HashSet;

use super::record::bounded_model;
use super::*;

#[test]
fn names_follow_the_conventions() {
    let mut names = HashSet::new();
    for metric in CATALOGUE {
        assert!(names.insert(metric.name), "{} is listed twice", metric.name);
        assert!(metric.name.starts_with("relay_"), "{}", metric.name);
        assert_eq!(
            metric.kind == Kind::Counter,
            metric.name.ends_with("_total"),
            "{}: counters, and only they, end in _total",
            metric.name
        );
        assert_eq!(
            metric.kind == Kind::Histogram,
            !metric.buckets.is_empty(),
            "{}: histograms, and only they, have buckets",
            metric.name
        );
        assert!(metric.buckets.windows(2).all(|w| w[0] < w[1]));
        for label in metric.labels {
            assert!(
                !label.contains("job") && !label.contains("tenant"),
                "{}: {label} would be a series per job or tenant",
                metric.name
            );
        }
    }
}

#[test]
fn the_readme_table_lists_every_metric() {
    let readme = include_str!("../../../../README.md");
    for metric in CATALOGUE {
        assert!(
            readme.contains(&format!("| `{}` |", metric.name)),
            "README.md's metrics table lacks {}",
            metric.name
        );
    }
}

#[test]
fn models_beyond_the_bound_are_counted_as_other() {
    for i in 0..MAX_MODELS {
        bounded_model(&format!("model-{i}"));
    }
    assert_eq!(bounded_model("model-7"), "model-7");
    assert_eq!(bounded_model("one-too-many"), "other");
}
