//! Privacy: every incident is assessed; a possible breach opens six tracked steps, and
//! the Policy Lead is asked to lead them.

/// The six steps of handling a possible privacy breach, in order.
pub const STEPS: [&str; 6] = [
    "preliminary assessment and containment",
    "full assessment",
    "notification of those affected",
    "mitigation and prevention",
    "notification of the privacy commissioner and the treasury board secretariat",
    "lessons learned",
];

/// The next step not yet done, 1-based.
pub fn next_step(
    done: &std::collections::BTreeMap<u8, chrono::DateTime<chrono::Utc>>,
) -> Option<u8> {
    (1..=6).find(|s| !done.contains_key(s))
}
