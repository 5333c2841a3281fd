//! Staff assessment (seed 004 §六.3 考核制度): a monthly cycle in which each agent is rated on
//! the seed's five criteria — customer satisfaction, response time, problem solving, product
//! knowledge, communication — by customers (their survey answers), their supervisor, peers
//! and themselves; the result is a weighted score per agent and per department.
//!
//! **The score.** Each rating gives 1–5 per criterion. A source's score is the mean of its
//! ratings' criteria (a customer's survey rates satisfaction only); the agent's score is the
//! weighted mean of the sources present — customer 40 %, supervisor 30 %, peer 15 %,
//! self 15 % ([`weight`]), the weights of absent sources shared out over the present ones —
//! shown on 0–100 (1 → 0, 5 → 100). A department's score is the mean of its agents' scores.

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// What an agent is rated on (seed 004: 客户满意度、响应时间、解决问题能力、业务知识掌握程度、
/// 沟通技巧运用水平).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentCriterion))]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Satisfaction,
    ResponseTime,
    ProblemSolving,
    ProductKnowledge,
    Communication,
}

impl Criterion {
    pub const ALL: [Criterion; 5] = [
        Criterion::Satisfaction,
        Criterion::ResponseTime,
        Criterion::ProblemSolving,
        Criterion::ProductKnowledge,
        Criterion::Communication,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Satisfaction => "satisfaction",
            Criterion::ResponseTime => "response_time",
            Criterion::ProblemSolving => "problem_solving",
            Criterion::ProductKnowledge => "product_knowledge",
            Criterion::Communication => "communication",
        }
    }
}

/// Who gave a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentRater))]
#[serde(rename_all = "snake_case")]
pub enum RaterKind {
    /// A customer's survey answer on a ticket the agent handled.
    Customer,
    Supervisor,
    Peer,
    /// The agent about themselves.
    #[serde(rename = "self")]
    SelfRating,
}

impl RaterKind {
    pub const ALL: [RaterKind; 4] = [
        RaterKind::Customer,
        RaterKind::Supervisor,
        RaterKind::Peer,
        RaterKind::SelfRating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RaterKind::Customer => "customer",
            RaterKind::Supervisor => "supervisor",
            RaterKind::Peer => "peer",
            RaterKind::SelfRating => "self",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A source's share of the agent's score, in percent.
pub fn weight(kind: RaterKind) -> u32 {
    match kind {
        RaterKind::Customer => 40,
        RaterKind::Supervisor => 30,
        RaterKind::Peer => 15,
        RaterKind::SelfRating => 15,
    }
}

/// The 1–5 marks of one rating, in [`Criterion::ALL`]'s order; `None` where the rater did not
/// rate (a customer rates satisfaction only).
pub type Marks = [Option<u8>; 5];

/// A cycle's state: ratings are taken while it is open; a closed cycle's results are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentCycleState))]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    Open,
    Closed,
}

impl CycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Open => "open",
            CycleState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(CycleState::Open),
            "closed" => Some(CycleState::Closed),
            _ => None,
        }
    }
}

/// Why a rating is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("a mark is from 1 to 5")]
    OutOfRange,
    #[error("a rating needs at least one mark")]
    Empty,
    #[error("a self-assessment is about oneself")]
    SelfNotSelf,
    #[error("a peer rates a colleague, not themselves")]
    PeerIsSelf,
    #[error("a supervisor rates someone else")]
    SupervisorIsSelf,
    #[error("customer ratings come from surveys")]
    CustomerByHand,
}

impl RatingError {
    pub fn code(self) -> &'static str {
        match self {
            RatingError::OutOfRange => "out_of_range",
            RatingError::Empty => "empty",
            RatingError::SelfNotSelf => "self_not_self",
            RatingError::PeerIsSelf => "peer_is_self",
            RatingError::SupervisorIsSelf => "supervisor_is_self",
            RatingError::CustomerByHand => "customer_by_hand",
        }
    }
}

/// Checks a rating entered through the forms (supervisor, peer, self).
pub fn check_rating(
    kind: RaterKind,
    rater_is_ratee: bool,
    marks: &Marks,
) -> Result<(), RatingError> {
    match (kind, rater_is_ratee) {
        (RaterKind::Customer, _) => return Err(RatingError::CustomerByHand),
        (RaterKind::SelfRating, false) => return Err(RatingError::SelfNotSelf),
        (RaterKind::Peer, true) => return Err(RatingError::PeerIsSelf),
        (RaterKind::Supervisor, true) => return Err(RatingError::SupervisorIsSelf),
        _ => {}
    }
    if marks.iter().all(Option::is_none) {
        return Err(RatingError::Empty);
    }
    if marks.iter().flatten().any(|m| !(1..=5).contains(m)) {
        return Err(RatingError::OutOfRange);
    }
    Ok(())
}

/// One rating of an agent, as scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub kind: RaterKind,
    pub marks: Marks,
}

/// An agent's result: per source and per criterion means (1–5), the weighted score (0–100).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Mean of each source's marks, in [`RaterKind::ALL`]'s order (`None`: no rating).
    pub by_source: [Option<f64>; 4],
    /// How many ratings each source gave.
    pub counts: [usize; 4],
    /// Mean of each criterion's marks over every rating, in [`Criterion::ALL`]'s order.
    pub by_criterion: [Option<f64>; 5],
    /// The weighted score on 0–100, `None` without any rating.
    pub weighted: Option<f64>,
}

/// A mean on 1–5 as 0–100.
pub fn percent(mean: f64) -> f64 {
    (mean - 1.0) / 4.0 * 100.0
}

/// Scores an agent's ratings (see the module).
pub fn score(ratings: &[Rating]) -> Score {
    let mut by_source = [None; 4];
    let mut counts = [0usize; 4];
    for (i, kind) in RaterKind::ALL.iter().enumerate() {
        let marks: Vec<f64> = ratings
            .iter()
            .filter(|r| r.kind == *kind)
            .flat_map(|r| r.marks.iter().flatten().map(|m| f64::from(*m)))
            .collect();
        counts[i] = ratings.iter().filter(|r| r.kind == *kind).count();
        if !marks.is_empty() {
            by_source[i] = Some(marks.iter().sum::<f64>() / marks.len() as f64);
        }
    }
    let mut by_criterion = [None; 5];
    for (i, slot) in by_criterion.iter_mut().enumerate() {
        let marks: Vec<f64> = ratings
            .iter()
            .filter_map(|r| r.marks[i])
            .map(f64::from)
            .collect();
        if !marks.is_empty() {
            *slot = Some(marks.iter().sum::<f64>() / marks.len() as f64);
        }
    }
    let mut total_weight = 0.0;
    let mut sum = 0.0;
    for (i, kind) in RaterKind::ALL.iter().enumerate() {
        if let Some(mean) = by_source[i] {
            let w = f64::from(weight(*kind));
            total_weight += w;
            sum += w * mean;
        }
    }
    let weighted = (total_weight > 0.0).then(|| percent(sum / total_weight));
    Score {
        by_source,
        counts,
        by_criterion,
        weighted,
    }
}

/// A department's score: the mean of its agents' weighted scores (agents without a score
/// left out), `None` when none has one.
pub fn department_score(agent_scores: &[Option<f64>]) -> Option<f64> {
    let scored: Vec<f64> = agent_scores.iter().flatten().copied().collect();
    (!scored.is_empty()).then(|| scored.iter().sum::<f64>() / scored.len() as f64)
}

/// A month `YYYY-MM` (the cycle's key), checked.
pub fn parse_month(s: &str) -> Option<jiff::civil::Date> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let date = jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()?;
    Some(date)
}

/// What a reward or correction is recorded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentSubject))]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// One member of staff.
    Agent,
    /// A department or handling group (seed 001: departments rewarded or corrected on
    /// timeliness and satisfaction).
    Department,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Agent => "agent",
            Subject::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Subject::Agent),
            "department" => Some(Subject::Department),
            _ => None,
        }
    }
}

/// A reward (奖励) or a correction (整改/处罚) decided on a cycle's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentActionKind))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Reward,
    Correction,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Reward => "reward",
            ActionKind::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reward" => Some(ActionKind::Reward),
            "correction" => Some(ActionKind::Correction),
            _ => None,
        }
    }
}
